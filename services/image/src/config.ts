import { databaseConfigSchema } from '@platform/database';
import { configFields, jwtVerificationConfigSchema, loadConfig, serverConfigSchema } from '@platform/runtime';
import { z } from 'zod';

const mebibyte = 1024 * 1024;

export const imageConfigSchema = z.object({
  ...serverConfigSchema.shape,
  ...databaseConfigSchema.shape,
  ...jwtVerificationConfigSchema.shape,
  PORT: configFields.port(3002),
  /** Omit for AWS S3; set for MinIO or any other S3-compatible store. */
  S3_ENDPOINT: configFields.httpUrl().optional(),
  S3_REGION: configFields.nonEmpty().default('us-east-1'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
    .default('images'),
  S3_ACCESS_KEY_ID: configFields.nonEmpty(),
  S3_SECRET_ACCESS_KEY: configFields.nonEmpty(),
  /** Path-style addressing (http://endpoint/bucket/key), which MinIO and most non-AWS stores need. */
  S3_FORCE_PATH_STYLE: configFields.flag(true),
  S3_CONNECT_TIMEOUT_MS: configFields.milliseconds(2_000),
  /** Longest silence on an S3 socket before the request is abandoned. */
  S3_SOCKET_TIMEOUT_MS: configFields.milliseconds(30_000),
  /** Attempts per S3 request (the SDK retries retryable failures with jittered backoff). */
  S3_MAX_ATTEMPTS: configFields.positiveInt(3),
  /** Multipart part size: memory per upload is about S3_PART_SIZE_BYTES x S3_UPLOAD_QUEUE_SIZE. */
  S3_PART_SIZE_BYTES: z.coerce
    .number()
    .int()
    .min(5 * mebibyte)
    .default(8 * mebibyte),
  S3_UPLOAD_QUEUE_SIZE: configFields.positiveInt(2),
  MAX_UPLOAD_BYTES: configFields.positiveInt(1024 * mebibyte),
  // Upload admission (README, "Upload admission"): what one pod and one account may hold at once.
  /**
   * Uploads of unknown or large size per process, which sets the memory all uploads share (smaller
   * declared bodies take less of it); derived from the memory limit when unset (upload-capacity.ts).
   */
  MAX_CONCURRENT_UPLOADS: z.coerce.number().int().positive().optional(),
  /** The container's memory limit; read from the cgroup (memory.max) when unset. */
  MEMORY_LIMIT_BYTES: z.coerce.number().int().positive().optional(),
  /**
   * The share of the memory limit the process plans to reach at its peak: uploads are admitted against it, and the
   * rest is headroom for what the plan does not count (the collector's lag, socket buffers, heap growth under load).
   */
  MEMORY_TARGET_PERCENT: z.coerce.number().int().min(10).max(100).default(75),
  /** Resident memory of the service with no upload running (measured: see the README). */
  IDLE_MEMORY_BYTES: configFields.positiveInt(176 * mebibyte),
  /** Memory an upload holds besides its part buffers: socket and parser chunks not yet collected. */
  UPLOAD_STREAM_OVERHEAD_BYTES: configFields.positiveInt(8 * mebibyte),
  /** Concurrent uploads per account and process; past it 429. */
  MAX_CONCURRENT_UPLOADS_PER_USER: configFields.positiveInt(2),
  /** Bytes of images one account may keep stored (sum of its images' sizes). */
  UPLOAD_QUOTA_BYTES: configFields.positiveInt(10 * 1024 * mebibyte),
  /** An upload that delivers fewer bytes than this per second over a window is cut with 408. */
  UPLOAD_MIN_BYTES_PER_SECOND: configFields.positiveInt(64 * 1024),
  UPLOAD_RATE_WINDOW_MS: z.coerce.number().int().min(1_000).default(20_000),
});

export type ImageConfig = z.infer<typeof imageConfigSchema>;

export const loadImageConfig = (env: NodeJS.ProcessEnv = process.env): ImageConfig =>
  loadConfig(imageConfigSchema, env);
