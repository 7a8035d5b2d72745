import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { AppError, createLogger } from '@platform/runtime';
import { createCounterStore } from '../../src/data-access/counter-store.ts';
import { createAttemptLimits, type AttemptLimits, type AttemptLimitsPolicy } from '../../src/domain/attempt-limits.ts';

const policy: AttemptLimitsPolicy = {
  failuresPerPair: 5,
  failureWindowSeconds: 900,
  slowdown: { afterFailures: 10, initialMs: 250, maxMs: 5_000 },
  attemptsPerClient: 60,
  attemptWindowSeconds: 60,
  registrationsPerClient: 10,
  registrationWindowSeconds: 3_600,
};

const victim = 'victim';
const wrong = () => Promise.resolve(null);
const right = () => Promise.resolve({ id: 'victim-id' });

let limits: AttemptLimits;
let slept: number[];

beforeEach(() => {
  slept = [];
  const counters = createCounterStore({
    redisUrl: undefined,
    commandTimeoutMs: 250,
    logger: createLogger('test', 'silent'),
  });
  limits = createAttemptLimits(policy, counters.counter, (ms) => {
    slept.push(ms);
    return Promise.resolve();
  });
});

/** The 429 an attempt got, or a failed assertion if it was let through. */
async function refusal(attempt: Promise<unknown>): Promise<AppError> {
  const error = await attempt.then(
    () => assert.fail('the attempt was let through'),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof AppError, String(error));
  assert.equal(error.status, 429);
  return error;
}

describe('login limits per (username, client) pair', () => {
  it(`refuse the pair with 429 and Retry-After after ${policy.failuresPerPair} failures, without checking the password`, async () => {
    for (let failure = 0; failure < policy.failuresPerPair; failure += 1) {
      assert.equal((await limits.login({ username: victim, client: 'attacker' }, wrong)).account, null);
    }
    let checked = false;
    const error = await refusal(
      limits.login({ username: victim, client: 'attacker' }, () => {
        checked = true;
        return right();
      }),
    );
    assert.equal(checked, false);
    const retryAfter = Number(error.headers['Retry-After']);
    assert.ok(retryAfter > 0 && retryAfter <= policy.failureWindowSeconds, String(retryAfter));
  });

  it('leave the owner at their own client alone: the right password logs in', async () => {
    for (let failure = 0; failure < policy.failuresPerPair; failure += 1) {
      await limits.login({ username: victim, client: 'attacker' }, wrong);
    }
    assert.deepEqual((await limits.login({ username: victim, client: 'owner' }, right)).account, { id: 'victim-id' });
  });

  it("start afresh after a success, so an owner's own typos never add up to a lockout", async () => {
    for (let round = 0; round < 3; round += 1) {
      for (let failure = 0; failure < policy.failuresPerPair - 1; failure += 1) {
        await limits.login({ username: victim, client: 'owner' }, wrong);
      }
      assert.deepEqual((await limits.login({ username: victim, client: 'owner' }, right)).account, { id: 'victim-id' });
    }
  });
});

describe('login limits per username, from every client', () => {
  it('slow attempts down progressively after the threshold, and never refuse the right password', async () => {
    // Attackers spread over many addresses, each under the pair limit.
    for (let failure = 0; failure < 16; failure += 1) {
      await limits.login({ username: victim, client: `attacker-${Math.floor(failure / 4)}` }, wrong);
    }
    assert.deepEqual(slept, [250, 500, 1_000, 2_000, 4_000, 5_000]);

    const verdict = await limits.login({ username: victim, client: 'owner' }, right);

    assert.deepEqual(verdict.account, { id: 'victim-id' });
    assert.equal(verdict.delayMs, policy.slowdown.maxMs);
  });

  it('do not slow down other usernames', async () => {
    for (let failure = 0; failure < 12; failure += 1) {
      await limits.login({ username: victim, client: `attacker-${failure}` }, wrong);
    }
    assert.equal((await limits.login({ username: 'bystander', client: 'owner' }, right)).delayMs, 0);
  });
});

describe('limits per client address', () => {
  it(`refuse login attempts past ${policy.attemptsPerClient} in a window, whatever their outcomes`, async () => {
    for (let attempt = 0; attempt < policy.attemptsPerClient; attempt += 1) {
      await limits.login({ username: `user-${attempt}`, client: 'busy' }, attempt % 2 === 0 ? right : wrong);
    }
    const error = await refusal(limits.login({ username: 'one-more', client: 'busy' }, right));
    assert.ok(Number(error.headers['Retry-After']) > 0);
    assert.deepEqual((await limits.login({ username: 'one-more', client: 'another' }, right)).account, {
      id: 'victim-id',
    });
  });

  it(`refuse registrations past ${policy.registrationsPerClient} in a window; other clients still register`, async () => {
    let created = 0;
    const create = () => Promise.resolve((created += 1));
    for (let attempt = 0; attempt < policy.registrationsPerClient; attempt += 1) await limits.register('flood', create);

    const error = await refusal(limits.register('flood', create));

    assert.equal(created, policy.registrationsPerClient);
    const retryAfter = Number(error.headers['Retry-After']);
    assert.ok(retryAfter > 0 && retryAfter <= policy.registrationWindowSeconds, String(retryAfter));
    assert.equal(await limits.register('another', create), policy.registrationsPerClient + 1);
  });
});
