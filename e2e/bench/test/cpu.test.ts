// CPU time read from /proc: what a process spends while some work runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuSeconds, withCpu } from '../cpu.ts';

/** Keeps this process busy until it has spent `milliseconds` of CPU, however loaded the machine is. */
const spin = (milliseconds: number) => {
  const start = process.cpuUsage();
  for (;;) {
    const { user, system } = process.cpuUsage(start);
    if (user + system >= milliseconds * 1000) return;
  }
};

describe('withCpu', () => {
  it('charges a busy process the CPU it spent, and an idle one none', async () => {
    const { result, cpu } = await withCpu({ self: process.pid }, () => {
      spin(300);
      return Promise.resolve('done');
    });
    assert.equal(result, 'done');
    // /proc counts in 10 ms ticks.
    assert.ok(cpu.self >= 0.28 && cpu.self < 0.5, `spent ${cpu.self} s`);

    const idle = await withCpu({ self: process.pid }, () => new Promise((resolve) => setTimeout(resolve, 300)));
    assert.ok(idle.cpu.self < 0.15, `spent ${idle.cpu.self} s while waiting`);
  });

  it('reads a process that has run for a while as having spent CPU', () => {
    assert.ok(cpuSeconds(process.pid) > 0);
  });
});
