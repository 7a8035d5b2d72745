// The environment each service runs with locally: the settings its chart gives it in every environment
// (helm/charts/<service>/values.yaml `env`: one source for NODE_OPTIONS, the token issuer, the bucket...),
// with the local stack's diff on top: loopback addresses, credentials from the state folder, and the few
// local choices below. Only addresses are expected to differ from a deployment.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './paths.ts';
import type { ServiceDatabaseUrls } from './roles.ts';

export const serviceNames = ['auth', 'image', 'api'] as const;
export type ServiceName = (typeof serviceNames)[number];

const mebibyte = 1024 * 1024;
/** The largest upload. */
export const maxUploadBytes = 1024 * mebibyte;
/** The ingress's body limit: the largest upload and room for its multipart framing. */
export const ingressMaxBodyBytes = maxUploadBytes + mebibyte;

export interface LocalAddresses {
  ports: Record<ServiceName, number> & { metrics: Record<ServiceName, number> };
  databaseUrls: ServiceDatabaseUrls;
  /** The image service's own credentials (object-store-access.ts), never the root user's. */
  objectStore: { endpoint: string; accessKeyId: string; secretAccessKey: string };
  signingKeyFile: string;
  /** The local Redis for auth's login counters; undefined: auth counts in memory. */
  redisUrl?: string | undefined;
}

/** The `env` of a service's chart (the prober's too): what every environment sets. */
export function chartEnvironment(service: ServiceName | 'prober'): Record<string, string> {
  const values = parse(readFileSync(join(repoRoot, 'helm/charts', service, 'values.yaml'), 'utf8')) as {
    env?: Record<string, string>;
  };
  return values.env ?? {};
}

const quantityUnits: Readonly<Record<string, number>> = { '': 1, Ki: 1024, Mi: mebibyte, Gi: 1024 * mebibyte };

/** A chart's container memory limit (resources.limits.memory, a Kubernetes quantity such as 384Mi) in bytes. */
export function chartMemoryLimitBytes(service: ServiceName): number {
  const values = parse(readFileSync(join(repoRoot, 'helm/charts', service, 'values.yaml'), 'utf8')) as {
    resources?: { limits?: { memory?: string } };
  };
  const limit = String(values.resources?.limits?.memory);
  const [, amount, unit = ''] = /^(\d+)(Ki|Mi|Gi)?$/.exec(limit) ?? [];
  const factor = quantityUnits[unit];
  if (amount === undefined || factor === undefined) {
    throw new Error(
      `helm/charts/${service}/values.yaml: resources.limits.memory "${limit}" is not a quantity in Ki, Mi or Gi`,
    );
  }
  return Number(amount) * factor;
}

export function serviceEnvironments({
  ports,
  databaseUrls,
  objectStore,
  signingKeyFile,
  redisUrl,
}: LocalAddresses): Record<ServiceName, Record<string, string>> {
  const jwksUrl = `http://127.0.0.1:${ports.auth}/.well-known/jwks.json`;
  const local = (service: ServiceName) => ({
    ...chartEnvironment(service),
    HOST: '127.0.0.1',
    PORT: String(ports[service]),
    METRICS_PORT: String(ports.metrics[service]),
    LOG_LEVEL: 'info',
    // Deployments drain for 25-60 s behind a load balancer; locally nothing routes around a stopping service.
    SHUTDOWN_GRACE_MS: '10000',
  });
  return {
    auth: {
      ...local('auth'),
      DATABASE_URL: databaseUrls.auth,
      JWT_SIGNING_KEY_FILE: signingKeyFile,
      // The seed's walk-through registers "password123", the 225th most common password: refuse only
      // the top 100 locally (as helm/env/dev does) so it works verbatim. Production keeps the top 10,000.
      COMMON_PASSWORDS_REFUSED: '100',
      // The gateway calls auth over loopback.
      TRUST_PROXY: 'loopback',
      ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl }),
      // Locally every client is the one loopback address: the test suites, the load tool and the
      // benchmark (40 logins/s) included. The per-client budgets are raised to fit them; the
      // (username, client) lockout and the per-username slow-down keep their deployed values.
      LOGIN_ATTEMPTS_PER_CLIENT: '100000',
      REGISTRATIONS_PER_CLIENT: '100',
      REGISTRATION_WINDOW_SECONDS: '60',
    },
    image: {
      ...local('image'),
      DATABASE_URL: databaseUrls.image,
      JWKS_URL: jwksUrl,
      S3_ENDPOINT: objectStore.endpoint,
      S3_ACCESS_KEY_ID: objectStore.accessKeyId,
      S3_SECRET_ACCESS_KEY: objectStore.secretAccessKey,
      MAX_UPLOAD_BYTES: String(maxUploadBytes),
      // In a pod the cgroup's memory.max sizes the concurrent uploads; a local process has no such
      // limit, so it is given the pod's, from the chart, and admits what a pod would.
      MEMORY_LIMIT_BYTES: String(chartMemoryLimitBytes('image')),
    },
    api: {
      ...local('api'),
      AUTH_URL: `http://127.0.0.1:${ports.auth}`,
      IMAGE_URL: `http://127.0.0.1:${ports.image}`,
      JWKS_URL: jwksUrl,
      PUBLIC_BASE_URL: `http://localhost:${ports.api}`,
      // The local ingress is nginx on loopback.
      TRUST_PROXY: 'loopback',
      MAX_UPLOAD_BYTES: String(maxUploadBytes),
    },
  };
}
