import { createDatabase, pingDatabase } from '@platform/database';
import { createHttpApp, createLogger, Readiness, startTelemetry, type ServiceDefinition } from '@platform/runtime';
import type { AuthConfig } from './config.ts';
import { createUserRepository } from './data-access/user-repository.ts';
import { createAccounts } from './domain/accounts.ts';
import { loadCommonPasswords } from './domain/common-passwords.ts';
import { createPasswordHasher } from './domain/password-hasher.ts';
import { createTokenIssuer } from './domain/token-issuer.ts';
import { mountAuthRoutes } from './http/routes.ts';

/** Wires the auth service: users in PostgreSQL, argon2id passwords, ES256 tokens, a JWKS. */
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
  const accounts = createAccounts(createUserRepository(database), await createPasswordHasher());
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
      routes: (app) => {
        mountAuthRoutes(app, {
          accounts,
          tokens,
          commonPasswords: loadCommonPasswords(config.COMMON_PASSWORDS_REFUSED),
          loginFailures: {
            limit: config.LOGIN_FAILURES_PER_USERNAME,
            windowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
          },
        });
      },
    }),
    resources: [
      { name: 'telemetry', close: telemetry.close },
      { name: 'postgres', close: () => database.$disconnect() },
    ],
  };
}
