import { databaseConfigSchema } from '@platform/database';
import { configFields, loadConfig, serverConfigSchema, tokenClaimsConfigSchema } from '@platform/runtime';
import { z } from 'zod';

const authConfigSchema = z.object({
  ...serverConfigSchema.shape,
  ...databaseConfigSchema.shape,
  ...tokenClaimsConfigSchema.shape,
  PORT: configFields.port(3001),
  /** PKCS#8 PEM of the P-256 private key that signs tokens (or JWT_SIGNING_KEY_FILE). */
  JWT_SIGNING_KEY: z.string().includes('PRIVATE KEY', { error: 'must be a PKCS#8 PEM private key' }),
  JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(3_600).default(900),
  /** Failed logins one username may take per window before further attempts get 429. */
  LOGIN_FAILURES_PER_USERNAME: configFields.positiveInt(10),
  LOGIN_FAILURE_WINDOW_SECONDS: configFields.positiveInt(900),
});

export type AuthConfig = z.infer<typeof authConfigSchema>;

export const loadAuthConfig = (env: NodeJS.ProcessEnv = process.env): AuthConfig => loadConfig(authConfigSchema, env);
