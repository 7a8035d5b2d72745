import {
  createHttpApp,
  createLogger,
  platformMetrics,
  Readiness,
  startTelemetry,
  type ServiceDefinition,
} from '@platform/runtime';
import type { ProberConfig } from './config.ts';
import { createApiClient } from './data-access/api-client.ts';
import { journeyOutcomes, largeUploadOutcomes } from './domain/outcomes.ts';
import type { PlatformClient } from './domain/platform-client.ts';
import { startProber } from './domain/prober.ts';
import { mountProberRoutes } from './http/routes.ts';

/**
 * Wires the prober: journeys through the edge every PROBE_INTERVAL_MS, counted by outcome and timed
 * (prober_journeys_total, prober_journey_duration_seconds), a large upload every PROBE_LARGE_UPLOAD_EVERY
 * journeys, counted by outcome (prober_large_uploads_total), and the usual health and metrics ports.
 * Readiness checks nothing outside: the prober exists to report the platform's failures, not to be
 * taken out of service by them.
 */
export async function createProberService(
  config: ProberConfig,
  connect: (config: ProberConfig) => PlatformClient & { close: () => Promise<void> } = (settings) =>
    createApiClient({
      baseUrl: settings.PROBE_BASE_URL,
      caFile: settings.PROBE_CA_FILE,
      connectTo: settings.PROBE_CONNECT_TO,
    }),
): Promise<ServiceDefinition> {
  const telemetry = await startTelemetry({ service: 'prober', host: config.HOST, port: config.METRICS_PORT });
  const logger = createLogger('prober', config.LOG_LEVEL);
  const metrics = platformMetrics();
  // Every outcome's series exists from the start, at 0: rate() over a series that appears at 1 would
  // miss its first journey, and the first failure is the one that matters.
  for (const outcome of journeyOutcomes) metrics.proberJourneys.add(0, { outcome });
  for (const outcome of largeUploadOutcomes) metrics.proberLargeUploads.add(0, { outcome });
  const client = connect(config);
  const largeUpload = {
    every: config.PROBE_LARGE_UPLOAD_EVERY,
    bytes: config.PROBE_LARGE_UPLOAD_BYTES,
    minMiBps: config.PROBE_LARGE_UPLOAD_MIN_MIBPS,
  };
  logger.info(
    {
      baseUrl: config.PROBE_BASE_URL,
      connectTo: config.PROBE_CONNECT_TO,
      intervalMs: config.PROBE_INTERVAL_MS,
      timeoutMs: config.PROBE_TIMEOUT_MS,
      largeUpload,
    },
    'probing the journey through the edge',
  );
  const prober = startProber({
    client,
    logger,
    intervalMs: config.PROBE_INTERVAL_MS,
    timeoutMs: config.PROBE_TIMEOUT_MS,
    cleanupTimeoutMs: config.PROBE_CLEANUP_TIMEOUT_MS,
    imageBytes: config.PROBE_IMAGE_BYTES,
    account: { username: config.PROBE_USERNAME, password: config.PROBE_PASSWORD },
    record: ({ outcome, durationSeconds }) => {
      metrics.proberJourneys.add(1, { outcome });
      metrics.proberJourneyDuration.record(durationSeconds, { outcome });
    },
    largeUpload: {
      ...largeUpload,
      timeoutMs: config.PROBE_TIMEOUT_MS,
      cleanupTimeoutMs: config.PROBE_CLEANUP_TIMEOUT_MS,
      record: ({ outcome }) => {
        metrics.proberLargeUploads.add(1, { outcome });
      },
    },
  });
  const readiness = new Readiness([], config.READINESS_TIMEOUT_MS);
  return {
    name: 'prober',
    logger,
    port: config.PORT,
    server: config,
    readiness,
    app: createHttpApp({
      service: 'prober',
      logger,
      readiness,
      routes: (app) => {
        mountProberRoutes(app, prober);
      },
    }),
    resources: [
      { name: 'telemetry', close: telemetry.close },
      { name: 'edge client', close: () => client.close() },
      { name: 'journeys', close: () => prober.stop() },
    ],
  };
}
