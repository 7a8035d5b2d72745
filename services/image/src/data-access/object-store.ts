import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { AppError, inSpan, platformMetrics, secondsSince, serviceUnavailable, SpanKind } from '@platform/runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ImageConfig } from '../config.ts';
import { createObjectReader } from './object-reader.ts';
import { isStoreUnavailable } from './store-unavailability.ts';

export interface ObjectStore {
  /** Streams `body` into the bucket; resolves with the stored object's ETag. Nothing is left behind on failure. */
  put: (key: string, body: Readable, contentType: string) => Promise<{ etag: string }>;
  /** A stream of the object's bytes (the object reader's, not the SDK's). */
  get: (key: string) => Promise<Readable>;
  remove: (key: string) => Promise<void>;
  /** Creates the bucket if it does not exist yet. */
  ensureBucket: () => Promise<void>;
  /** Readiness check: the bucket answers. */
  ping: (signal: AbortSignal) => Promise<void>;
  close: () => Promise<void>;
}

export function createObjectStore(config: ImageConfig): ObjectStore {
  const agentOptions = { keepAlive: true, maxSockets: 256 };
  const client = new S3Client({
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    maxAttempts: config.S3_MAX_ATTEMPTS,
    // Checksums only where S3 requires them: non-AWS stores may not understand the aws-chunked
    // framing the default adds to streamed bodies, and some would store it inside the object.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: config.S3_CONNECT_TIMEOUT_MS,
      requestTimeout: config.S3_SOCKET_TIMEOUT_MS,
      httpAgent: new Agent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    }),
  });
  const Bucket = config.S3_BUCKET;
  const reader = createObjectReader({
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    bucket: Bucket,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    connectTimeoutMs: config.S3_CONNECT_TIMEOUT_MS,
    socketTimeoutMs: config.S3_SOCKET_TIMEOUT_MS,
    maxAttempts: config.S3_MAX_ATTEMPTS,
  });
  const partBuffers = new PartBufferPool(config.S3_PART_SIZE_BYTES, config.S3_UPLOAD_QUEUE_SIZE + 1);
  const { s3ClientDuration } = platformMetrics();
  /** Traces and times an S3 operation, and turns unreachability into a 503. */
  const operation = <T>(name: string, run: () => Promise<T>): Promise<T> =>
    inSpan(
      'image',
      `S3 ${name}`,
      SpanKind.CLIENT,
      { 'rpc.system': 'aws-api', 'rpc.service': 'S3', 'rpc.method': name, 'aws.s3.bucket': Bucket },
      async () => {
        const start = performance.now();
        try {
          const result = await unavailableOnFailure(run);
          s3ClientDuration.record(secondsSince(start), { 's3.operation': name, outcome: 'success' });
          return result;
        } catch (error) {
          s3ClientDuration.record(secondsSince(start), {
            's3.operation': name,
            outcome: error instanceof AppError && error.status === 503 ? 'unavailable' : 'error',
          });
          throw error;
        }
      },
    );

  return {
    put: (Key, Body, ContentType) =>
      operation('PutObject', async () => ({
        etag: await putStream(client, { Bucket, Key, ContentType }, Body, partBuffers, config.S3_UPLOAD_QUEUE_SIZE),
      })),
    get: (Key) => operation('GetObject', () => reader.get(Key)),
    remove: (Key) =>
      operation('DeleteObject', async () => {
        await client.send(new DeleteObjectCommand({ Bucket, Key }));
      }),
    ensureBucket: async () => {
      try {
        await client.send(new HeadBucketCommand({ Bucket }));
      } catch (error) {
        if (!(error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) throw error;
        await client.send(new CreateBucketCommand({ Bucket }));
      }
    },
    ping: (abortSignal) =>
      operation('HeadBucket', async () => {
        await client.send(new HeadBucketCommand({ Bucket }), { abortSignal });
      }),
    close: async () => {
      client.destroy();
      await reader.close();
    },
  };
}

/**
 * Part-sized buffers kept between uploads, up to one upload's worth (queue size + 1): in the steady
 * state an upload allocates nothing per part, and concurrent uploads allocate what they need on top.
 */
class PartBufferPool {
  readonly #kept: Buffer[] = [];
  readonly partSize: number;
  readonly #limit: number;

  constructor(partSize: number, limit: number) {
    this.partSize = partSize;
    this.#limit = limit;
  }

  take(): Buffer {
    return this.#kept.pop() ?? Buffer.allocUnsafeSlow(this.partSize);
  }

  give(buffers: Buffer[]): void {
    for (const buffer of buffers) if (this.#kept.length < this.#limit) this.#kept.push(buffer);
  }
}

/**
 * Streams `body` into S3 in parts with at most `queueSize` parts in flight, and resolves with the
 * object's ETag. The parts are copied into at most queueSize + 1 part buffers, reused for the whole
 * upload and kept for the next one, so memory is bounded by (queueSize + 1) x part size whatever
 * the file size, and nothing is left per part for the garbage collector to find later. (lib-storage,
 * used before, concatenates a fresh buffer for every part: with the chunks it copied from, about
 * twice the file size in garbage, which showed as tens of MiB of resident memory on large uploads.)
 * A body shorter than one part is a single PutObject. On failure a multipart upload is aborted, so
 * no parts are left billed and invisible.
 */
async function putStream(
  client: S3Client,
  { Bucket, Key, ContentType }: { Bucket: string; Key: string; ContentType: string },
  body: Readable,
  pool: PartBufferPool,
  queueSize: number,
): Promise<string> {
  const { partSize } = pool;
  const free: Buffer[] = [];
  const owned: Buffer[] = [];
  const inFlight = new Set<Promise<void>>();
  const parts: CompletedPart[] = [];
  const failed: { error?: Error } = {};
  let uploadId: string | undefined;

  const acquire = async (): Promise<Buffer> => {
    // Every buffer not free is in flight, so there is always something to wait for.
    while (free.length === 0 && owned.length > queueSize) await Promise.race(inFlight);
    if (failed.error !== undefined) throw failed.error;
    const reused = free.pop();
    if (reused !== undefined) return reused;
    const buffer = pool.take();
    owned.push(buffer);
    return buffer;
  };
  const send = (buffer: Buffer, length: number, PartNumber: number) => {
    const part = client
      .send(
        new UploadPartCommand({
          Bucket,
          Key,
          UploadId: uploadId,
          PartNumber,
          Body: buffer.subarray(0, length),
          ContentLength: length,
        }),
      )
      .then(
        ({ ETag }) => {
          parts.push({ PartNumber, ETag });
        },
        (error: unknown) => {
          failed.error ??= error instanceof Error ? error : new Error(String(error));
        },
      )
      .finally(() => {
        free.push(buffer);
        inFlight.delete(part);
      });
    inFlight.add(part);
  };

  let current = await acquire();
  let filled = 0;
  let partNumber = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      for (let offset = 0; offset < chunk.length;) {
        const copied = chunk.copy(current, filled, offset);
        filled += copied;
        offset += copied;
        if (filled < partSize) continue;
        uploadId ??= (await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType }))).UploadId;
        partNumber += 1;
        send(current, filled, partNumber);
        current = await acquire();
        filled = 0;
      }
    }
    if (uploadId === undefined) {
      const { ETag } = await client.send(
        new PutObjectCommand({ Bucket, Key, ContentType, Body: current.subarray(0, filled), ContentLength: filled }),
      );
      return ETag ?? '';
    }
    if (filled > 0) send(current, filled, partNumber + 1);
    await Promise.all([...inFlight]);
    if (failed.error !== undefined) throw failed.error;
    parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    const { ETag } = await client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
    );
    return ETag ?? '';
  } catch (error) {
    await Promise.all([...inFlight]);
    if (uploadId !== undefined)
      await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(() => undefined);
    throw error;
  } finally {
    // Nothing is in flight any more: every part request has settled.
    pool.give(owned);
  }
}

/**
 * A store that cannot be reached, times out or answers 5xx is "unavailable" (503 to the caller);
 * anything else (a 4xx, a bug, a failing body stream) propagates as is.
 */
async function unavailableOnFailure<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw isStoreUnavailable(error) ? serviceUnavailable('Object storage is unavailable.', error) : error;
  }
}
