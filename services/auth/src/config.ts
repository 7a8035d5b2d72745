import { databaseConfigSchema } from '@platform/database';
import {
  configFields,
  loadConfig,
  maxTokenLifetimeSeconds,
  serverConfigSchema,
  tokenClaimsConfigSchema,
} from '@platform/runtime';
import { z } from 'zod';
import { commonPasswordsAvailable } from './domain/common-passwords.ts';

const authConfigSchema = z.object({
  ...serverConfigSchema.shape,
  ...databaseConfigSchema.shape,
  ...tokenClaimsConfigSchema.shape,
  PORT: configFields.port(3001),
  /** PKCS#8 PEM of the P-256 private key that signs tokens (or JWT_SIGNING_KEY_FILE). */
  JWT_SIGNING_KEY: z.string().includes('PRIVATE KEY', { error: 'must be a PKCS#8 PEM private key' }),
  /** PEM public keys published in the JWKS but not used to sign (key rotation; or JWT_VERIFICATION_KEYS_FILE). */
  JWT_VERIFICATION_KEYS: z.string().default(''),
  JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(maxTokenLifetimeSeconds).default(900),
  /**
   * How many of the most common passwords registration refuses (0-10000). The local stack lowers
   * it to 100 so the seed's walk-through with "password123" (rank 225) works verbatim.
   */
  COMMON_PASSWORDS_REFUSED: z.coerce
    .number()
    .int()
    .min(0)
    .max(commonPasswordsAvailable)
    .default(commonPasswordsAvailable),
  /**
   * Which peers may set X-Forwarded-For (Express "trust proxy": addresses or presets such as
   * loopback, a hop count, or false). The gateway is the one hop in front of auth: it overwrites
   * X-Forwarded-For with its own view of the client, and the login limits key on that address.
   */
  TRUST_PROXY: z
    .string()
    .default('loopback')
    .transform((value) => (/^\d+$/.test(value) ? Number(value) : value === 'false' ? (false as const) : value)),
  /**
   * Where the login and registration counters live, shared by every replica (redis:// or
   * rediss://). Unset: each replica counts in its own memory.
   */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  /** How long a counter update may take before this replica counts in memory instead. */
  REDIS_COMMAND_TIMEOUT_MS: configFields.positiveInt(250),
  /** Failed logins one (username, client) pair may make per window before that pair gets 429. */
  LOGIN_FAILURES_PER_PAIR: configFields.positiveInt(5),
  /** The window of the per-pair and per-username failure counters. */
  LOGIN_FAILURE_WINDOW_SECONDS: configFields.positiveInt(900),
  /** Failed logins for one username, from all clients, after which its attempts are slowed down. */
  LOGIN_SLOWDOWN_AFTER_FAILURES: configFields.positiveInt(10),
  /** The first delay; it doubles with every further failure, up to the maximum. */
  LOGIN_SLOWDOWN_INITIAL_MS: configFields.positiveInt(250),
  LOGIN_SLOWDOWN_MAX_MS: configFields.positiveInt(5_000),
  /** Login attempts (whatever their outcome) one client address may make per client window. */
  LOGIN_ATTEMPTS_PER_CLIENT: configFields.positiveInt(60),
  LOGIN_ATTEMPT_WINDOW_SECONDS: configFields.positiveInt(60),
  /** Registrations (valid requests, whatever their outcome) one client address may make per window. */
  REGISTRATIONS_PER_CLIENT: configFields.positiveInt(10),
  REGISTRATION_WINDOW_SECONDS: configFields.positiveInt(3_600),
  /**
   * Password hashes and checks run at once. Each takes a libuv pool thread and 19 MiB, so this is
   * the pool's size (UV_THREADPOOL_SIZE, 4 by default) unless set.
   */
  PASSWORD_HASH_CONCURRENCY: configFields.positiveInt(Number(process.env['UV_THREADPOOL_SIZE'] ?? 4)),
  /** Hashes and checks allowed to wait for a thread; past that the answer is 503 with Retry-After. */
  PASSWORD_HASH_QUEUE_LIMIT: z.coerce.number().int().min(0).default(32),
});

export type AuthConfig = z.infer<typeof authConfigSchema>;

export const loadAuthConfig = (env: NodeJS.ProcessEnv = process.env): AuthConfig => loadConfig(authConfigSchema, env);
