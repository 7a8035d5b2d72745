// CPU time and page faults read from /proc: what a process spends while some work runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readProcStat } from '../proc-stat.ts';
import { withUsage } from '../process-usage.ts';

/** Keeps this process busy until it has spent `milliseconds` of CPU, however loaded the machine is. */
const spin = (milliseconds: number) => {
  const start = process.cpuUsage();
  for (;;) {
    const { user, system } = process.cpuUsage(start);
    if (user + system >= milliseconds * 1000) return;
  }
};

const mebibyte = 1024 * 1024;

describe('withUsage', () => {
  it('charges a busy process the CPU it spent, and an idle one none', async () => {
    const { result, usage } = await withUsage({ self: process.pid }, () => {
      spin(300);
      return Promise.resolve('done');
    });
    assert.equal(result, 'done');
    // /proc counts in 10 ms ticks.
    assert.ok(usage.self.cpuSeconds >= 0.28 && usage.self.cpuSeconds < 0.5, `spent ${usage.self.cpuSeconds} s`);

    const idle = await withUsage({ self: process.pid }, () => new Promise((resolve) => setTimeout(resolve, 300)));
    assert.ok(idle.usage.self.cpuSeconds < 0.15, `spent ${idle.usage.self.cpuSeconds} s while waiting`);
  });

  it('counts the pages a process touches for the first time', async () => {
    const pageSize = 4096;
    const { usage } = await withUsage({ self: process.pid }, () => {
      // Far above malloc's mmap threshold: fresh pages from the kernel, each faulted in when written.
      const fresh = Buffer.alloc(64 * mebibyte, 1);
      return Promise.resolve(fresh.length);
    });
    assert.ok(usage.self.minorFaults >= (64 * mebibyte) / pageSize / 2, `${usage.self.minorFaults} faults`);
  });

  it('reads a process that has run for a while as having spent CPU', () => {
    assert.ok(readProcStat(process.pid).cpuSeconds > 0);
  });
});
