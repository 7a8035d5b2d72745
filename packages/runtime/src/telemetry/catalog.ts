/**
 * Every metric the platform exports, in one place. Names and attributes follow the OpenTelemetry
 * semantic conventions where one exists; Prometheus sees them with dots as underscores and the unit
 * appended (`http.server.request.duration` in seconds -> `http_server_request_duration_seconds`).
 * No attribute ever holds an unbounded value: no user ids, file names or raw paths.
 */

/** Seconds. Resolves the SLO latency thresholds (0.25, 0.3, 0.5 s) exactly. */
export const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.3, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export interface MetricDefinition {
  name: string;
  kind: 'histogram' | 'counter';
  unit: string;
  description: string;
  /** Attribute keys the metric carries. */
  attributes: readonly string[];
}

export const metricCatalog = {
  httpServerDuration: {
    name: 'http.server.request.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Duration of HTTP server requests.',
    attributes: ['http.request.method', 'http.route', 'http.response.status_code', 'error.type'],
  },
  httpServerTimeToFirstByte: {
    name: 'http.server.response.time_to_first_byte',
    kind: 'histogram',
    unit: 's',
    description:
      'Time from a request to the first byte of its response (its headers), or to its end when none was sent: a download by what the server controls, not by the size of the file or the speed of the client.',
    attributes: ['http.request.method', 'http.route', 'http.response.status_code', 'error.type'],
  },
  httpServerCommitDuration: {
    name: 'http.server.request.commit.duration',
    kind: 'histogram',
    unit: 's',
    description:
      'For requests with a body: time from its last byte to the first byte of the response (an upload waiting for its commit), or to its end when none was sent.',
    attributes: ['http.request.method', 'http.route', 'http.response.status_code', 'error.type'],
  },
  httpClientDuration: {
    name: 'http.client.request.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Duration of HTTP requests to other services, until the response headers arrive.',
    attributes: ['http.request.method', 'server.address', 'http.response.status_code', 'error.type'],
  },
  dbClientDuration: {
    name: 'db.client.operation.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Duration of PostgreSQL operations issued through Prisma.',
    attributes: ['db.system.name', 'db.operation.name', 'outcome'],
  },
  s3ClientDuration: {
    name: 's3.client.operation.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Duration of S3 operations (a streamed upload counts until the object is complete).',
    attributes: ['s3.operation', 'outcome'],
  },
  imageUploadSize: {
    name: 'image.upload.size',
    kind: 'counter',
    unit: 'By',
    description: 'Bytes of images stored.',
    attributes: ['image.content_type'],
  },
  imageDownloadSize: {
    name: 'image.download.size',
    kind: 'counter',
    unit: 'By',
    description: 'Bytes of images served.',
    attributes: ['image.content_type'],
  },
  loginAttempts: {
    name: 'auth.login.attempts',
    kind: 'counter',
    unit: '{attempt}',
    description: 'Login attempts by outcome.',
    attributes: ['outcome'],
  },
  tokenRejections: {
    name: 'auth.token.rejections',
    kind: 'counter',
    unit: '{token}',
    description: 'Bearer tokens refused, by reason.',
    attributes: ['reason'],
  },
  jwksFetches: {
    name: 'auth.jwks.fetches',
    kind: 'counter',
    unit: '{fetch}',
    description: 'Fetches of the auth service key set by verifiers, by outcome.',
    attributes: ['outcome'],
  },
  proberJourneys: {
    name: 'prober.journeys',
    kind: 'counter',
    unit: '{journey}',
    description:
      'Journeys of the outside-in prober (log in, upload, read back, compare, delete), by outcome: success or what failed.',
    attributes: ['outcome'],
  },
  proberJourneyDuration: {
    name: 'prober.journey.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Duration of a prober journey, whatever its outcome.',
    attributes: ['outcome'],
  },
  proberLargeUploads: {
    name: 'prober.large_uploads',
    kind: 'counter',
    unit: '{upload}',
    description:
      "Large uploads of the outside-in prober, by outcome: fast (at the SLO's throughput or better), slow (below it, or past the time limit), failed.",
    attributes: ['outcome'],
  },
} as const satisfies Record<string, MetricDefinition>;

/** Unit suffixes Prometheus expects, per the OpenTelemetry-Prometheus compatibility rules. */
export const prometheusUnitSuffix: Record<string, string> = { s: 'seconds', By: 'bytes' };
