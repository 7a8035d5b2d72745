import { AppError } from '@platform/runtime';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { slowdownDelayMs, type SlowdownPolicy } from './slowdown.ts';

export interface AttemptLimitsPolicy {
  /** Failed logins a (username, client) pair may make per failure window before it gets 429. */
  failuresPerPair: number;
  failureWindowSeconds: number;
  /** Failures for a username from all clients slow its attempts down; they never refuse them. */
  slowdown: SlowdownPolicy;
  /** Login attempts of any outcome per client address and window. */
  attemptsPerClient: number;
  attemptWindowSeconds: number;
  /** Registrations per client address and window. */
  registrationsPerClient: number;
  registrationWindowSeconds: number;
}

/** Makes the counters; the data-access layer decides where they live (Redis or memory). */
export type CounterFactory = (options: { name: string; points: number; windowSeconds: number }) => RateLimiterAbstract;

export interface LoginAttempt {
  /** The normalised username: look-alike names share one counter. */
  username: string;
  /** The client address, as the gateway saw it. */
  client: string;
}

export interface LoginVerdict<T> {
  account: T | null;
  /** How long the attempt waited for its username's slow-down. */
  delayMs: number;
}

export interface AttemptLimits {
  /** Counts a registration by this client: 429 with Retry-After past the client's limit. */
  register: <T>(client: string, create: () => Promise<T>) => Promise<T>;
  /**
   * Runs a password check under the login limits: 429 with Retry-After when the client has made too
   * many attempts or this (username, client) pair too many failures; otherwise it waits for the
   * username's slow-down, checks, and counts a failure against the pair and the username.
   */
  login: <T>(attempt: LoginAttempt, check: () => Promise<T | null>) => Promise<LoginVerdict<T>>;
}

/**
 * The login and registration policy. Guessing is bounded per (username, client) pair, so the lockout
 * hits whoever guesses and never the account's owner at their own client; per username it is only
 * slowed, so strangers spread over many addresses can delay an owner but not lock them out; and each
 * client address has a budget of attempts, so one client cannot spend everyone's hashing time.
 */
export function createAttemptLimits(
  policy: AttemptLimitsPolicy,
  counter: CounterFactory,
  sleep: (ms: number) => Promise<unknown>,
): AttemptLimits {
  const failureWindow = { windowSeconds: policy.failureWindowSeconds };
  const pairFailures = counter({ name: 'login-pair-failures', points: policy.failuresPerPair, ...failureWindow });
  const usernameFailures = counter({
    name: 'login-username-failures',
    points: policy.slowdown.afterFailures,
    ...failureWindow,
  });
  const clientLogins = counter({
    name: 'login-client-attempts',
    points: policy.attemptsPerClient,
    windowSeconds: policy.attemptWindowSeconds,
  });
  const clientRegistrations = counter({
    name: 'register-client-attempts',
    points: policy.registrationsPerClient,
    windowSeconds: policy.registrationWindowSeconds,
  });
  return {
    register: async (client, create) => {
      await consumeOrRefuse(clientRegistrations, client, 'Too many registrations from this address');
      return create();
    },
    login: async ({ username, client }, check) => {
      await consumeOrRefuse(clientLogins, client, 'Too many login attempts from this address');
      const pair = JSON.stringify([username, client]);
      const pairCount = await pairFailures.get(pair);
      if (pairCount !== null && pairCount.consumedPoints >= policy.failuresPerPair) {
        throw tooManyAttempts('Too many failed logins for this username from this address', pairCount);
      }
      const usernameCount = await usernameFailures.get(username);
      const delayMs = slowdownDelayMs(usernameCount?.consumedPoints ?? 0, policy.slowdown);
      if (delayMs > 0) await sleep(delayMs);
      const account = await check();
      if (account === null) {
        // penalty() counts without refusing: the refusal is decided above, on the next attempt.
        await Promise.all([pairFailures.penalty(pair), usernameFailures.penalty(username)]);
      } else {
        await pairFailures.delete(pair);
      }
      return { account, delayMs };
    },
  };
}

async function consumeOrRefuse(counter: RateLimiterAbstract, key: string, what: string): Promise<void> {
  try {
    await counter.consume(key);
  } catch (error) {
    if (error instanceof RateLimiterRes) throw tooManyAttempts(what, error);
    throw error;
  }
}

/** 429 problem with the seconds until the counter's window ends. */
function tooManyAttempts(what: string, count: RateLimiterRes): AppError {
  const seconds = Math.max(1, Math.ceil(count.msBeforeNext / 1000));
  return new AppError(429, 'too-many-requests', 'Too many requests', {
    detail: `${what}: wait for the time in Retry-After, then try again.`,
    headers: { 'Retry-After': String(seconds) },
  });
}
