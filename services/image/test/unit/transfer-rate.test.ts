import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { AppError } from '@platform/runtime';
import { MinimumTransferRate } from '../../src/domain/transfer-rate.ts';

describe('minimum transfer rate', () => {
  it('fails a stream that delivers less than the rate over a window with 408', async () => {
    const source = new PassThrough();
    const trickle = setInterval(() => source.write(Buffer.alloc(10)), 50);
    try {
      await assert.rejects(
        pipeline(
          source,
          new MinimumTransferRate(10_000, 1_000),
          new Writable({
            write: (_c, _e, done) => {
              done();
            },
          }),
        ),
        (error: unknown) => error instanceof AppError && error.status === 408,
      );
    } finally {
      clearInterval(trickle);
    }
  });

  it('passes a stream that keeps to the rate, and one whose reader is the slow side', async () => {
    const fast = new PassThrough();
    const feed = setInterval(() => fast.write(Buffer.alloc(2_000)), 50);
    const done = pipeline(
      fast,
      new MinimumTransferRate(10_000, 1_000),
      new Writable({
        write: (_c, _e, next) => {
          next();
        },
      }),
    );
    await sleep(2_500);
    clearInterval(feed);
    fast.end();
    await done;

    // Everything is sent at once, and the reader takes its time: nothing is held against the sender.
    const stalled = new MinimumTransferRate(10_000, 1_000);
    stalled.end(Buffer.alloc(64 * 1024));
    await sleep(2_500);
    assert.equal(stalled.destroyed, false);
    stalled.resume();
  });
});
