import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Thrown at start-up when the environment does not describe a runnable service. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates the environment once, at start-up, and returns typed configuration.
 *
 * Any variable NAME the schema declares may instead be given as NAME_FILE, the path of a file holding the value (the
 * Docker and Kubernetes secrets convention), so secrets need not sit in the environment.
 */
export function loadConfig<Schema extends z.ZodObject>(
  schema: Schema,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<Schema> {
  const result = schema.safeParse(withFileVariables(env, Object.keys(schema.shape)));
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `  - ${issue.path.join('.') || '(environment)'}: ${issue.message}`,
  );
  throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
}

function withFileVariables(env: NodeJS.ProcessEnv, names: string[]): NodeJS.ProcessEnv {
  const resolved = { ...env };
  for (const name of names) {
    const key = `${name}_FILE`;
    const path = env[key];
    if (path === undefined || path === '') continue;
    if (env[name] !== undefined)
      throw new ConfigError(`Invalid configuration: both ${name} and ${key} are set; set one`);
    try {
      resolved[name] = readFileSync(path, 'utf8').trim();
    } catch (error) {
      throw new ConfigError(
        `Invalid configuration: ${key} names ${path}, which cannot be read (${(error as Error).message})`,
      );
    }
  }
  return resolved;
}

/** Building blocks for service configuration schemas, so every service spells them the same way. */
export const configFields = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  milliseconds: (fallback: number) => z.coerce.number().int().min(0).default(fallback),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  httpUrl: () => z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  postgresUrl: () => z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgresql:// URL' }),
  nonEmpty: () => z.string().trim().min(1, 'must not be empty'),
  flag: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1'),
};

/** Settings every HTTP service has: where it listens, how it logs, how it shuts down. */
export const serverConfigSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long in-flight requests may run after SIGTERM before connections are cut. */
  SHUTDOWN_GRACE_MS: configFields.milliseconds(25_000),
  /** How long to keep serving, unready, after SIGTERM so load balancers stop routing here first. */
  SHUTDOWN_DELAY_MS: configFields.milliseconds(0),
  /** Time allowed for a client to send the request headers. */
  HEADERS_TIMEOUT_MS: configFields.milliseconds(10_000),
  /** Time allowed for a whole request, body included: bounds slow uploads. 0 disables it. */
  REQUEST_TIMEOUT_MS: configFields.milliseconds(600_000),
  KEEP_ALIVE_TIMEOUT_MS: configFields.milliseconds(65_000),
  /** Where Prometheus scrapes the service's metrics (GET /metrics), apart from the public port. */
  METRICS_PORT: configFields.port(9464),
  /** Per-check time limit for /readyz. */
  READINESS_TIMEOUT_MS: configFields.milliseconds(1_000),
});

export type ServerConfig = z.infer<typeof serverConfigSchema>;
