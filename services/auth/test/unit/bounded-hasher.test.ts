import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@platform/runtime';
import { boundedHasher } from '../../src/domain/bounded-hasher.ts';
import type { PasswordHasher } from '../../src/domain/password-hasher.ts';

/** A hasher whose every call waits until release() is called; counts how many ran. */
function heldHasher() {
  const waiting: Array<() => void> = [];
  let started = 0;
  const held = <T>(value: T) =>
    new Promise<T>((resolve) => {
      started += 1;
      waiting.push(() => {
        resolve(value);
      });
    });
  const hasher: PasswordHasher = {
    hash: () => held('hash'),
    verify: () => held(true),
    verifyNothing: () => held(false as const),
  };
  return {
    hasher,
    started: () => started,
    release: () => {
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}

describe('the bounded password hasher', () => {
  it('runs at most `concurrency` hashes at once and queues the rest', async () => {
    const held = heldHasher();
    const hasher = boundedHasher(held.hasher, { concurrency: 2, queueLimit: 3 });
    const all = Promise.all([1, 2, 3, 4, 5].map(() => hasher.hash('password')));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(held.started(), 2);
    while (held.started() < 5) {
      held.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    held.release();
    assert.deepEqual(await all, ['hash', 'hash', 'hash', 'hash', 'hash']);
  });

  it('answers 503 with Retry-After, without hashing, once the queue is full', async () => {
    const held = heldHasher();
    const hasher = boundedHasher(held.hasher, { concurrency: 2, queueLimit: 3 });
    const admitted = [
      hasher.hash('a'),
      hasher.verify('h', 'b'),
      hasher.verifyNothing('c'),
      hasher.hash('d'),
      hasher.hash('e'),
    ];

    // Refused at once: the answer is settled before anything else runs.
    const nextTurn = new Promise((resolve) => setImmediate(resolve, 'still waiting'));
    const refused = await Promise.race([
      hasher.verify('h', 'one too many').then(
        () => 'admitted',
        (error: unknown) => error,
      ),
      nextTurn,
    ]);

    assert.ok(refused instanceof AppError);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['Retry-After'], '1');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(held.started(), 2, 'only the admitted hashes run');
    // Work drains, and the queue admits again.
    while (held.started() < admitted.length) {
      held.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    held.release();
    await Promise.all(admitted);
    const again = hasher.hash('after the burst');
    await new Promise((resolve) => setImmediate(resolve));
    held.release();
    assert.equal(await again, 'hash');
  });
});
