import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '@platform/runtime';

export interface CounterOptions {
  /** Names the counter family in the store, e.g. "login-pair". */
  name: string;
  /** Points a key may consume per window (rate-limiter-flexible's `points`). */
  points: number;
  windowSeconds: number;
}

export interface CounterStore {
  /** What holds the counters, for logs and the local stack's status table. */
  readonly kind: 'redis' | 'memory (no REDIS_URL)';
  counter: (options: CounterOptions) => RateLimiterAbstract;
  /**
   * Resolves true once the counters are shared (Redis connected), false if that takes longer than
   * `timeoutMs`; until then, and whenever Redis is away, each counter counts in memory.
   */
  connected: (timeoutMs: number) => Promise<boolean>;
  close: () => Promise<void>;
}

export interface CounterStoreOptions {
  redisUrl: string | undefined;
  /** A Redis command slower than this fails, and the counter falls back to memory. */
  commandTimeoutMs: number;
  logger: Logger;
}

/**
 * Counters for the login and registration limits. With a Redis URL every replica shares them; without,
 * each replica counts in its own memory.
 *
 * When Redis is down or slow, each counter carries on in this replica's memory (rate-limiter-flexible's
 * insurance limiter): the limits keep applying, per replica, rather than failing open (a stranger who makes
 * Redis slow would guess freely) or closed (a Redis outage would take logins down with it). Commands fail
 * fast instead of queueing while Redis is away: no offline queue, a command timeout, one attempt.
 */
export function createCounterStore({ redisUrl, commandTimeoutMs, logger }: CounterStoreOptions): CounterStore {
  if (redisUrl === undefined) {
    return {
      kind: 'memory (no REDIS_URL)',
      counter: ({ name, points, windowSeconds }) =>
        new RateLimiterMemory({ keyPrefix: name, points, duration: windowSeconds }),
      connected: () => Promise.resolve(true),
      close: () => Promise.resolve(),
    };
  }
  const redis = new Redis(redisUrl, {
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    // Reconnect for ever, at most every 2 s: the counters come back to Redis by themselves.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  });
  let reachable: boolean | undefined;
  const report = (now: boolean, detail?: string) => {
    if (reachable === now) return;
    reachable = now;
    if (now) logger.info({ store: 'redis' }, 'login limits: counting in Redis, shared by every replica');
    else logger.warn({ store: 'memory', detail }, 'login limits: Redis unreachable, counting in this replica only');
  };
  redis.on('ready', () => {
    report(true);
  });
  redis.on('error', (error: Error) => {
    report(false, error.message);
  });
  redis.on('end', () => {
    report(false, 'connection closed');
  });
  return {
    kind: 'redis',
    counter: ({ name, points, windowSeconds }) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: name,
        points,
        duration: windowSeconds,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points, duration: windowSeconds }),
      }),
    connected: async (timeoutMs) => {
      if (redis.status === 'ready') return true;
      const ready = new Promise<boolean>((resolve) => {
        redis.once('ready', () => {
          resolve(true);
        });
      });
      return Promise.race([ready, sleep(timeoutMs, false, { ref: false })]);
    },
    close: async () => {
      await redis.quit().catch(() => {
        redis.disconnect();
      });
    },
  };
}
