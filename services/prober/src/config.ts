import { configFields, loadConfig, serverConfigSchema } from '@platform/runtime';
import { z } from 'zod';

const mebibyte = 1024 * 1024;

const proberConfigSchema = z
  .object({
    ...serverConfigSchema.shape,
    PORT: configFields.port(3003),
    /** Where users reach the platform: the TLS edge (the ingress), never a service behind it. */
    PROBE_BASE_URL: configFields.httpUrl().transform((url) => url.replace(/\/+$/, '')),
    /**
     * host:port to connect to instead of PROBE_BASE_URL's host, which still names the site (TLS server
     * name, Host): curl's --connect-to. In a cluster the public name resolves outside it, so the prober
     * dials the edge's Service and speaks to it as a client from outside would.
     */
    PROBE_CONNECT_TO: z
      .string()
      .regex(/^[a-z0-9.-]+:\d{1,5}$/, 'must be host:port')
      .optional(),
    /** The CA to trust for PROBE_BASE_URL (PEM file); unset: the system's CAs. */
    PROBE_CA_FILE: configFields.nonEmpty().optional(),
    /** Time between the starts of two journeys; a journey never overlaps the next. */
    PROBE_INTERVAL_MS: z.coerce.number().int().min(1_000).default(30_000),
    /** The most one journey may take, every step included; past it the journey counts as `timeout`. */
    PROBE_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    /** How long the clean-up of a failed journey may take to delete what it left. */
    PROBE_CLEANUP_TIMEOUT_MS: configFields.milliseconds(5_000),
    /** The prober's own account, registered on first use. */
    PROBE_USERNAME: z
      .string()
      .regex(/^[a-z0-9._-]{3,64}$/, 'must be 3-64 characters of a-z 0-9 . _ -')
      .default('journey-prober'),
    /** Its password: from a secret file (PROBE_PASSWORD_FILE) in every deployment. */
    PROBE_PASSWORD: z.string().min(12, 'must be at least 12 characters'),
    /** Size of the generated image, random content, uploaded by each journey. */
    PROBE_IMAGE_BYTES: z.coerce
      .number()
      .int()
      .min(128)
      .max(1024 * 1024)
      .default(4_096),
    /**
     * A large upload (the upload throughput SLO's) follows every this many journeys, in the same slot, the
     * first journey's included: 4 at a journey every 30 s is 30 an hour. Bounded by PROBE_TIMEOUT_MS too.
     */
    PROBE_LARGE_UPLOAD_EVERY: z.coerce.number().int().min(1).max(1_000).default(4),
    /** Size of the large upload's image, random content; the prober's memory grows with it (the chart's limit is measured at 8 MiB). */
    PROBE_LARGE_UPLOAD_BYTES: z.coerce
      .number()
      .int()
      .min(mebibyte)
      .max(16 * mebibyte)
      .default(8 * mebibyte),
    /** The throughput, in MiB/s, at or above which a large upload is good for the SLO (slo/specs/journey.yml). */
    PROBE_LARGE_UPLOAD_MIN_MIBPS: z.coerce.number().positive().default(10),
  })
  .refine((config) => config.PROBE_TIMEOUT_MS < config.PROBE_INTERVAL_MS, {
    path: ['PROBE_TIMEOUT_MS'],
    message: 'must be shorter than PROBE_INTERVAL_MS, so journeys never pile up',
  })
  .refine(
    (config) =>
      (config.PROBE_LARGE_UPLOAD_BYTES / mebibyte / config.PROBE_LARGE_UPLOAD_MIN_MIBPS) * 1_000 <
      config.PROBE_TIMEOUT_MS,
    {
      path: ['PROBE_LARGE_UPLOAD_BYTES'],
      message: 'at PROBE_LARGE_UPLOAD_MIN_MIBPS must take less than PROBE_TIMEOUT_MS, or no upload could be fast',
    },
  );

export type ProberConfig = z.infer<typeof proberConfigSchema>;

export const loadProberConfig = (env: NodeJS.ProcessEnv = process.env): ProberConfig =>
  loadConfig(proberConfigSchema, env);
