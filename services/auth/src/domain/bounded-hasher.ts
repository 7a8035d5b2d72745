import { serviceUnavailable } from '@platform/runtime';
import pLimit from 'p-limit';
import type { PasswordHasher } from './password-hasher.ts';

export interface HashingBounds {
  /** Hashes and checks running at once: the libuv thread pool's size, which runs them anyway. */
  concurrency: number;
  /** Hashes and checks allowed to wait for a turn; more answer 503. */
  queueLimit: number;
}

/**
 * A password hasher with a bounded queue in front. Each argon2id run holds 19 MiB and a pool thread
 * for tens of milliseconds; without a bound a burst of logins or registrations piles up memory and
 * latency for everyone. Past the queue limit the answer is a prompt 503 with Retry-After instead.
 */
export function boundedHasher(hasher: PasswordHasher, { concurrency, queueLimit }: HashingBounds): PasswordHasher {
  const limit = pLimit(concurrency);
  const queued = <T>(work: () => Promise<T>): Promise<T> => {
    // Both counts together: p-limit moves work from pending to active a microtask later.
    if (limit.activeCount + limit.pendingCount >= concurrency + queueLimit) {
      return Promise.reject(serviceUnavailable('Too many password checks are waiting: try again shortly.'));
    }
    return limit(work);
  };
  return {
    hash: (password) => queued(() => hasher.hash(password)),
    verify: (hash, password) => queued(() => hasher.verify(hash, password)),
    verifyNothing: (password) => queued(() => hasher.verifyNothing(password)),
  };
}
