import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { maxPortOffset, parsePortOffset, portsFor } from '../ports.ts';

/** Linux hands these out to outgoing connections; a listener there can collide with any TIME_WAIT. */
function ephemeralRangeStart(): number {
  const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
  return Number(low);
}

function allPorts(offset: number): number[] {
  const { metrics, ...rest } = portsFor(offset);
  return [...Object.values(rest), ...Object.values(metrics)];
}

describe('the local stack ports', () => {
  it('stay below the ephemeral range at every allowed offset, so no outgoing connection can hold one', () => {
    const start = ephemeralRangeStart();
    for (const offset of [0, 700, maxPortOffset]) {
      const inRange = allPorts(offset).filter((port) => port >= start);
      assert.deepEqual(inRange, [], `offset ${offset}: ports in the ephemeral range (from ${start})`);
    }
  });

  it('are all different', () => {
    const ports = allPorts(0);
    assert.equal(new Set(ports).size, ports.length);
  });

  it('refuse an offset that would leave that space, saying which values are allowed', () => {
    assert.equal(parsePortOffset(''), 0);
    assert.equal(parsePortOffset('700'), 700);
    assert.throws(() => parsePortOffset(String(maxPortOffset + 1)), /from 0 to 10000/);
    assert.throws(() => parsePortOffset('abc'), /STACK_PORT_OFFSET/);
  });
});
