import { configFields, jwtVerificationConfigSchema, loadConfig, serverConfigSchema } from '@platform/runtime';
import { z } from 'zod';

const apiConfigSchema = z.object({
  ...serverConfigSchema.shape,
  ...jwtVerificationConfigSchema.shape,
  PORT: configFields.port(3000),
  /** The address clients use to reach this API; image URLs are built from it, never from the Host header. */
  PUBLIC_BASE_URL: configFields
    .httpUrl()
    .default('http://localhost:3000')
    .transform((url) => url.replace(/\/+$/, '')),
  AUTH_URL: configFields.httpUrl(),
  IMAGE_URL: configFields.httpUrl(),
  /**
   * Which peers may set X-Forwarded-For/Proto: Express "trust proxy" addresses or presets
   * (loopback, uniquelocal), a hop count, or false.
   */
  TRUST_PROXY: z
    .string()
    .default('loopback')
    .transform((value) => (/^\d+$/.test(value) ? Number(value) : value === 'false' ? (false as const) : value)),
  /** Uploads declaring a larger Content-Length are refused before any byte is forwarded. */
  MAX_UPLOAD_BYTES: configFields.positiveInt(1024 * 1024 * 1024),
  /**
   * Browser origins allowed to call this API (comma-separated, exact matches). Empty by default:
   * no CORS headers at all, so browsers keep other sites' pages out.
   */
  CORS_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin !== ''),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/, error: 'must be a comma-separated list of http(s) origins' }))),
  UPSTREAM_CONNECT_TIMEOUT_MS: configFields.milliseconds(2_000),
  /** Time for an upstream to start answering once the request is sent. */
  UPSTREAM_HEADERS_TIMEOUT_MS: configFields.milliseconds(30_000),
  /** Longest pause inside an upstream response body. */
  UPSTREAM_BODY_TIMEOUT_MS: configFields.milliseconds(30_000),
  /** Connections to each upstream for everything but uploads: logins, downloads, listings, deletes. */
  UPSTREAM_CONNECTIONS: configFields.positiveInt(128),
  /**
   * Connections to the image service kept for uploads alone, and the most uploads one api pod relays
   * at once: a slow upload holds its connection for up to 600 s, so uploads get a pool of their own
   * and can never take the one downloads and listings use. An upload past this is refused at once
   * (503, Retry-After) instead of queueing behind uploads that may take minutes.
   */
  UPSTREAM_UPLOAD_CONNECTIONS: configFields.positiveInt(32),
  /** Extra attempts for reads that could not connect (jittered backoff, 25-250 ms). */
  UPSTREAM_READ_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
});

export type ApiConfig = z.infer<typeof apiConfigSchema>;

export const loadApiConfig = (env: NodeJS.ProcessEnv = process.env): ApiConfig => loadConfig(apiConfigSchema, env);
