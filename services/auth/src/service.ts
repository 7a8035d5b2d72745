import { createDatabase, pingDatabase } from '@platform/database';
import { createHttpApp, createLogger, Readiness, startTelemetry, type ServiceDefinition } from '@platform/runtime';
import type { AuthConfig } from './config.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCounterStore } from './data-access/counter-store.ts';
import { createUserRepository } from './data-access/user-repository.ts';
import { createAccounts } from './domain/accounts.ts';
import { createAttemptLimits } from './domain/attempt-limits.ts';
import { boundedHasher } from './domain/bounded-hasher.ts';
import { loadCommonPasswords } from './domain/common-passwords.ts';
import { createPasswordHasher } from './domain/password-hasher.ts';
import { createTokenIssuer } from './domain/token-issuer.ts';
import { mountAuthRoutes } from './http/routes.ts';

/**
 * Wires the auth service: users in PostgreSQL, argon2id passwords behind a bounded queue, ES256
 * tokens, a JWKS, and login and registration limits counted in Redis (or memory without REDIS_URL).
 */
export async function createAuthService(config: AuthConfig): Promise<ServiceDefinition> {
  const telemetry = await startTelemetry({ service: 'auth', host: config.HOST, port: config.METRICS_PORT });
  const logger = createLogger('auth', config.LOG_LEVEL);
  const tokens = await createTokenIssuer({
    signingKeyPem: config.JWT_SIGNING_KEY,
    verificationKeysPem: config.JWT_VERIFICATION_KEYS,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.JWT_TTL_SECONDS,
  });
  const database = createDatabase(config);
  const hasher = boundedHasher(await createPasswordHasher(), {
    concurrency: config.PASSWORD_HASH_CONCURRENCY,
    queueLimit: config.PASSWORD_HASH_QUEUE_LIMIT,
  });
  const accounts = createAccounts(createUserRepository(database), hasher);
  const counters = createCounterStore({
    redisUrl: config.REDIS_URL,
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
    logger,
  });
  // A start waits briefly for Redis, never for long: without it the limits count in memory.
  if (!(await counters.connected(config.READINESS_TIMEOUT_MS)))
    logger.warn({ store: counters.kind }, 'login limits: Redis not reachable yet, counting in memory meanwhile');
  logger.info({ store: counters.kind }, `login limits: counters in ${counters.kind}`);
  const limits = createAttemptLimits(
    {
      failuresPerPair: config.LOGIN_FAILURES_PER_PAIR,
      failureWindowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
      slowdown: {
        afterFailures: config.LOGIN_SLOWDOWN_AFTER_FAILURES,
        initialMs: config.LOGIN_SLOWDOWN_INITIAL_MS,
        maxMs: config.LOGIN_SLOWDOWN_MAX_MS,
      },
      attemptsPerClient: config.LOGIN_ATTEMPTS_PER_CLIENT,
      attemptWindowSeconds: config.LOGIN_ATTEMPT_WINDOW_SECONDS,
      registrationsPerClient: config.REGISTRATIONS_PER_CLIENT,
      registrationWindowSeconds: config.REGISTRATION_WINDOW_SECONDS,
    },
    counters.counter,
    sleep,
  );
  const readiness = new Readiness(
    [{ name: 'postgres', check: () => pingDatabase(database) }],
    config.READINESS_TIMEOUT_MS,
  );
  return {
    name: 'auth',
    logger,
    port: config.PORT,
    server: config,
    readiness,
    app: createHttpApp({
      service: 'auth',
      logger,
      readiness,
      trustProxy: config.TRUST_PROXY,
      routes: (app) => {
        mountAuthRoutes(app, {
          accounts,
          tokens,
          commonPasswords: loadCommonPasswords(config.COMMON_PASSWORDS_REFUSED),
          limits,
        });
      },
    }),
    resources: [
      { name: 'telemetry', close: telemetry.close },
      { name: 'postgres', close: () => database.$disconnect() },
      { name: 'login counters', close: counters.close },
    ],
  };
}
