import { configFields, loadConfig, serverConfigSchema } from '@platform/runtime';
import { z } from 'zod';

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
  })
  .refine((config) => config.PROBE_TIMEOUT_MS < config.PROBE_INTERVAL_MS, {
    path: ['PROBE_TIMEOUT_MS'],
    message: 'must be shorter than PROBE_INTERVAL_MS, so journeys never pile up',
  });

export type ProberConfig = z.infer<typeof proberConfigSchema>;

export const loadProberConfig = (env: NodeJS.ProcessEnv = process.env): ProberConfig =>
  loadConfig(proberConfigSchema, env);
