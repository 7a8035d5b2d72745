import { totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase } from '@platform/database';
import {
  createHttpApp,
  createJwtAuthentication,
  createLogger,
  Readiness,
  startTelemetry,
  type Logger,
  type ServiceDefinition,
} from '@platform/runtime';
import type { ImageConfig } from './config.ts';
import { createImageRepository, type ImageRepository } from './data-access/image-repository.ts';
import { createObjectStore, type ObjectStore } from './data-access/object-store.ts';
import { createImages } from './domain/images.ts';
import { uploadMemoryCost, uploadsThatFit, type UploadCapacityInputs } from './domain/upload-capacity.ts';
import { mountImageRoutes } from './http/routes.ts';

/** Where images are kept: the data-access boundary, which component tests replace as a whole. */
export interface ImageStores {
  objects: ObjectStore;
  repository: ImageRepository;
}

/** The real stores: bytes in S3, metadata in PostgreSQL. */
export const connectImageStores = (config: ImageConfig): ImageStores => ({
  objects: createObjectStore(config),
  repository: createImageRepository(createDatabase(config)),
});

/**
 * Wires the image service: bytes and metadata in the stores `connectStores` makes, owners from
 * verified tokens. The stores are made once telemetry has started: they take their instruments
 * from the global meter, and instruments taken before it exists record nothing.
 */
export async function createImageService(
  config: ImageConfig,
  connectStores: (config: ImageConfig) => ImageStores = connectImageStores,
): Promise<ServiceDefinition> {
  const telemetry = await startTelemetry({ service: 'image', host: config.HOST, port: config.METRICS_PORT });
  const { objects, repository } = connectStores(config);
  const logger = createLogger('image', config.LOG_LEVEL);
  const capacity = uploadCapacityInputs(config);
  const largeUploads = config.MAX_CONCURRENT_UPLOADS ?? uploadsThatFit(capacity);
  const memoryBudgetBytes = largeUploads * uploadMemoryCost(capacity);
  logger.info({ largeUploads, memoryBudgetBytes, ...capacity }, 'memory for uploads per process');
  const images = createImages({
    objects,
    repository,
    limits: {
      maxBytes: config.MAX_UPLOAD_BYTES,
      memoryBudgetBytes,
      memoryCost: (declaredBytes) => uploadMemoryCost(capacity, declaredBytes),
      maxUploadsPerUser: config.MAX_CONCURRENT_UPLOADS_PER_USER,
      quotaBytes: config.UPLOAD_QUOTA_BYTES,
      minBytesPerSecond: config.UPLOAD_MIN_BYTES_PER_SECOND,
      rateWindowMs: config.UPLOAD_RATE_WINDOW_MS,
    },
    logger,
  });
  const requireUser = createJwtAuthentication(config);
  const readiness = new Readiness(
    [
      { name: 'postgres', check: () => repository.ping() },
      { name: 's3', check: (signal) => objects.ping(signal) },
    ],
    config.READINESS_TIMEOUT_MS,
  );
  const stopBucketSetup = new AbortController();
  void ensureBucketWhenReachable(objects, logger, stopBucketSetup.signal);
  return {
    name: 'image',
    logger,
    port: config.PORT,
    server: config,
    readiness,
    app: createHttpApp({
      service: 'image',
      logger,
      readiness,
      routes: (app) => {
        mountImageRoutes(app, { images, requireUser, logger });
      },
    }),
    resources: [
      { name: 'telemetry', close: telemetry.close },
      { name: 'postgres', close: () => repository.close() },
      {
        name: 's3',
        close: () => {
          stopBucketSetup.abort();
          return objects.close();
        },
      },
    ],
  };
}

/** What sizes the number of concurrent uploads: the memory limit (configured, else the container's) and an upload's cost. */
function uploadCapacityInputs(config: ImageConfig): UploadCapacityInputs {
  return {
    memoryLimitBytes: config.MEMORY_LIMIT_BYTES ?? containerMemoryLimit(),
    memoryTargetPercent: config.MEMORY_TARGET_PERCENT,
    idleMemoryBytes: config.IDLE_MEMORY_BYTES,
    partSizeBytes: config.S3_PART_SIZE_BYTES,
    queueSize: config.S3_UPLOAD_QUEUE_SIZE,
    streamOverheadBytes: config.UPLOAD_STREAM_OVERHEAD_BYTES,
  };
}

/**
 * The cgroup's memory limit (memory.max, as libuv reads it); with none, the machine's memory. An
 * unlimited cgroup reports a value beyond the machine's memory, which means the same.
 */
function containerMemoryLimit(): number {
  const constrained = process.constrainedMemory();
  return constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
}

/** Creates the bucket once S3 answers; until then the service starts and reports not ready. */
async function ensureBucketWhenReachable(objects: ObjectStore, logger: Logger, signal: AbortSignal): Promise<void> {
  for (let attempt = 1; !signal.aborted; attempt += 1) {
    try {
      await objects.ensureBucket();
      return;
    } catch (error) {
      if (attempt === 1) logger.warn({ err: error }, 'bucket not reachable yet; retrying every 2 s');
      await sleep(2_000, undefined, { signal }).catch(() => undefined);
    }
  }
}
