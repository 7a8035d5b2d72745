import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { slowdownDelayMs } from '../../src/domain/slowdown.ts';

const policy = { afterFailures: 10, initialMs: 250, maxMs: 5_000 };

describe('the per-username slow-down', () => {
  it('does not delay a username until it has had `afterFailures` failures', () => {
    for (const failures of [0, 1, 9]) assert.equal(slowdownDelayMs(failures, policy), 0, String(failures));
  });

  it('then starts at the initial delay and doubles with every further failure', () => {
    assert.deepEqual(
      [10, 11, 12, 13, 14].map((failures) => slowdownDelayMs(failures, policy)),
      [250, 500, 1_000, 2_000, 4_000],
    );
  });

  it('never waits longer than the maximum, however many failures there were', () => {
    assert.equal(slowdownDelayMs(15, policy), 5_000);
    assert.equal(slowdownDelayMs(1_000_000, policy), 5_000);
  });
});
