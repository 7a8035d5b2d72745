import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError, createLogger } from '@platform/runtime';
import { startTestRedis } from '../../../../scripts/local-stack/testing.ts';
import { createCounterStore, type CounterStore } from '../../src/data-access/counter-store.ts';
import { createAttemptLimits, type AttemptLimits } from '../../src/domain/attempt-limits.ts';

// Two auth replicas' limits against one real redis-server (Debian's, as the local stack runs it).

const policy = {
  failuresPerPair: 3,
  failureWindowSeconds: 900,
  slowdown: { afterFailures: 4, initialMs: 100, maxMs: 400 },
  attemptsPerClient: 1_000,
  attemptWindowSeconds: 60,
  registrationsPerClient: 4,
  registrationWindowSeconds: 3_600,
};
const wrong = () => Promise.resolve(null);
const right = () => Promise.resolve({ id: 'owner' });

let redis: Awaited<ReturnType<typeof startTestRedis>>;
const stores: CounterStore[] = [];

async function replica(redisUrl: string): Promise<AttemptLimits & { slept: number[] }> {
  const store = createCounterStore({ redisUrl, commandTimeoutMs: 250, logger: createLogger('auth', 'silent') });
  stores.push(store);
  assert.equal(await store.connected(5_000), true, 'Redis did not answer');
  const slept: number[] = [];
  const limits = createAttemptLimits(policy, store.counter, (ms) => {
    slept.push(ms);
    return Promise.resolve();
  });
  return Object.assign(limits, { slept });
}

async function expectRefused(attempt: Promise<unknown>): Promise<void> {
  const error = await attempt.then(
    () => assert.fail('the attempt was let through'),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof AppError && error.status === 429, String(error));
}

before(async () => {
  redis = await startTestRedis();
});

after(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await redis.dispose();
});

describe('login and registration counters in Redis', () => {
  it('are shared by replicas: failures at one lock the pair out at the other', async () => {
    const [a, b] = [await replica(redis.url), await replica(redis.url)];
    await a.login({ username: 'shared', client: 'attacker' }, wrong);
    await b.login({ username: 'shared', client: 'attacker' }, wrong);
    await a.login({ username: 'shared', client: 'attacker' }, wrong);

    await expectRefused(b.login({ username: 'shared', client: 'attacker' }, right));
    await expectRefused(a.login({ username: 'shared', client: 'attacker' }, right));
    assert.deepEqual((await b.login({ username: 'shared', client: 'owner' }, right)).account, { id: 'owner' });
  });

  it("are shared by replicas: a username's failures at both slow it down at either", async () => {
    const [a, b] = [await replica(redis.url), await replica(redis.url)];
    for (let failure = 0; failure < 4; failure += 1) {
      await (failure % 2 === 0 ? a : b).login({ username: 'slowed', client: `client-${failure}` }, wrong);
    }
    assert.equal((await a.login({ username: 'slowed', client: 'owner' }, right)).delayMs, 100);
    assert.equal((await b.login({ username: 'slowed', client: 'owner' }, right)).delayMs, 100);
  });

  it('are shared by replicas: registrations from one client count at every replica', async () => {
    const [a, b] = [await replica(redis.url), await replica(redis.url)];
    for (let attempt = 0; attempt < policy.registrationsPerClient; attempt += 1) {
      await (attempt % 2 === 0 ? a : b).register('flood', () => Promise.resolve(attempt));
    }
    await expectRefused(a.register('flood', () => Promise.resolve('one more')));
    await expectRefused(b.register('flood', () => Promise.resolve('one more')));
  });

  it('keep limiting, in memory, while Redis is down, and the service keeps answering', async () => {
    const limits = await replica(redis.url);
    await redis.stop();
    try {
      assert.deepEqual((await limits.login({ username: 'outage', client: 'owner' }, right)).account, { id: 'owner' });
      for (let failure = 0; failure < policy.failuresPerPair; failure += 1) {
        await limits.login({ username: 'outage', client: 'attacker' }, wrong);
      }
      await expectRefused(limits.login({ username: 'outage', client: 'attacker' }, right));
    } finally {
      await redis.start();
    }
  });
});
