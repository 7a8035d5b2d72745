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
  /** Failed logins one username may take per window before further attempts get 429. */
  LOGIN_FAILURES_PER_USERNAME: configFields.positiveInt(10),
  LOGIN_FAILURE_WINDOW_SECONDS: configFields.positiveInt(900),
});

export type AuthConfig = z.infer<typeof authConfigSchema>;

export const loadAuthConfig = (env: NodeJS.ProcessEnv = process.env): AuthConfig => loadConfig(authConfigSchema, env);
