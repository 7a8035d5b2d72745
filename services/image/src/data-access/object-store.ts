import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AppError, inSpan, platformMetrics, secondsSince, serviceUnavailable, SpanKind } from '@platform/runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ImageConfig } from '../config.ts';

export interface ObjectStore {
  /** Streams `body` into the bucket; resolves with the stored object's ETag. Nothing is left behind on failure. */
  put: (key: string, body: Readable, contentType: string) => Promise<{ etag: string }>;
  /** A stream of the object's bytes. */
  get: (key: string) => Promise<Readable>;
  remove: (key: string) => Promise<void>;
  /** Creates the bucket if it does not exist yet. */
  ensureBucket: () => Promise<void>;
  /** Readiness check: the bucket answers. */
  ping: (signal: AbortSignal) => Promise<void>;
  close: () => void;
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
  const { s3ClientDuration } = platformMetrics();
  /** Traces and times an S3 operation, and turns unreachability into a 503. */
  const operation = <T>(name: string, run: () => Promise<T>): Promise<T> =>
    inSpan('image', `S3 ${name}`, SpanKind.CLIENT, { 'rpc.system': 'aws-api', 'rpc.service': 'S3', 'rpc.method': name, 'aws.s3.bucket': Bucket }, async () => {
      const start = performance.now();
      try {
        const result = await unavailableOnFailure(run);
        s3ClientDuration.record(secondsSince(start), { 's3.operation': name, outcome: 'success' });
        return result;
      } catch (error) {
        s3ClientDuration.record(secondsSince(start), { 's3.operation': name, outcome: error instanceof AppError && error.status === 503 ? 'unavailable' : 'error' });
        throw error;
      }
    });

  return {
    put: (Key, Body, ContentType) =>
      operation('PutObject', async () => {
        const upload = new Upload({
          client,
          params: { Bucket, Key, Body, ContentType },
          partSize: config.S3_PART_SIZE_BYTES,
          queueSize: config.S3_UPLOAD_QUEUE_SIZE,
          // A failed multipart upload is aborted, so no parts are left billed and invisible.
          leavePartsOnError: false,
        });
        try {
          const { ETag } = await upload.done();
          return { etag: ETag ?? '' };
        } catch (error) {
          // When the body itself failed (over the size limit, client gone), that is the cause to
          // report, not whatever the clean-up of the multipart upload ran into.
          throw Body.errored ?? error;
        }
      }),
    get: (Key) =>
      operation('GetObject', async () => {
        const { Body } = await client.send(new GetObjectCommand({ Bucket, Key }));
        return Body as Readable;
      }),
    remove: (Key) => operation('DeleteObject', async () => { await client.send(new DeleteObjectCommand({ Bucket, Key })); }),
    ensureBucket: async () => {
      try {
        await client.send(new HeadBucketCommand({ Bucket }));
      } catch (error) {
        if (!(error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) throw error;
        await client.send(new CreateBucketCommand({ Bucket }));
      }
    },
    ping: (abortSignal) => operation('HeadBucket', async () => { await client.send(new HeadBucketCommand({ Bucket }), { abortSignal }); }),
    close: () => { client.destroy(); },
  };
}

/**
 * A store that cannot be reached, times out or answers 5xx is "unavailable" (503 to the caller);
 * anything else (a 4xx, a bug, a failing body stream) propagates as is.
 */
async function unavailableOnFailure<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw isUnavailable(error) ? serviceUnavailable('Object storage is unavailable.', error) : error;
  }
}

const networkErrorCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function isUnavailable(error: unknown): boolean {
  if (error instanceof S3ServiceException) return (error.$metadata.httpStatusCode ?? 500) >= 500;
  const { code, name } = error as { code?: unknown; name?: unknown };
  return (typeof code === 'string' && networkErrorCodes.has(code)) || name === 'TimeoutError';
}
