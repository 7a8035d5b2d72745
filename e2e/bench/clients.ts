// The benchmark's ways in: through the public API (a user with a token), straight to the stack's S3
// with its credentials for the direct baseline, and the same through a bare Node relay, the floor of a hop.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent as HttpAgent } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { setTimeout } from 'node:timers/promises';
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ApiClient, generatedImage, mebibyte, streamedImage, UnexpectedStatus } from '@platform/test-client';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'undici';
import type { StackDescription } from '../../scripts/local-stack/stack.ts';

/** One keep-alive pool for every call the benchmark makes to the services. */
const dispatcher = new Agent({ connections: 64, headersTimeout: 120_000, bodyTimeout: 120_000 });

/** The API, through the benchmark's pool. */
export const apiClient = (api: string) => new ApiClient({ baseUrl: api, dispatcher });

export interface Timed {
  milliseconds: number;
  bytes: number;
}

/** POST /upload of a generated PNG of `size` bytes; resolves with the stored filename. */
export async function uploadThroughApi(
  client: ApiClient,
  token: string,
  size: number,
): Promise<Timed & { filename: string }> {
  const upload = streamedImage(generatedImage(size), { filename: 'bench.png', size });
  const start = performance.now();
  const { filename } = await client.upload(token, upload);
  return { milliseconds: performance.now() - start, bytes: size, filename };
}

/**
 * An upload by a client that, refused for capacity (503) or concurrency (429), waits and tries again,
 * as a well-behaved client does; `refusals` counts the refusals. Gives up after `attempts`.
 */
export async function uploadRetryingRefusals(
  client: ApiClient,
  token: string,
  size: number,
  refusals: { count: number },
  attempts = 20,
): Promise<Timed & { filename: string }> {
  const start = performance.now();
  for (let attempt = 1, pauseMs = 250; ; attempt += 1, pauseMs = Math.min(pauseMs * 2, 2_000)) {
    try {
      const { filename } = await uploadThroughApi(client, token, size);
      return { milliseconds: performance.now() - start, bytes: size, filename };
    } catch (error) {
      const refused = error instanceof UnexpectedStatus && (error.status === 503 || error.status === 429);
      if (!refused || attempt === attempts) throw error;
      refusals.count += 1;
      await setTimeout(pauseMs);
    }
  }
}

/** GET /images/:filename, reading and discarding the body. */
export async function downloadThroughApi(client: ApiClient, token: string, filename: string): Promise<Timed> {
  const start = performance.now();
  const response = await client.download(token, filename);
  let bytes = 0;
  for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return { milliseconds: performance.now() - start, bytes };
}

export interface DirectS3 {
  put: (key: string, size: number) => Promise<Timed>;
  get: (key: string) => Promise<Timed>;
  remove: (key: string) => Promise<void>;
  close: () => void;
}

/**
 * The baseline: the same S3 client settings and multipart part size and queue size as the image
 * service, talking to the bucket directly (or through `endpoint`, a relay in front of it). The ratio
 * then prices the two extra hops, not a config.
 */
export function directS3(stack: StackDescription, endpoint = stack.s3.endpoint): DirectS3 {
  const env = stack.services.image.env;
  const partSize = Number(env['S3_PART_SIZE_BYTES'] ?? 8 * mebibyte);
  const queueSize = Number(env['S3_UPLOAD_QUEUE_SIZE'] ?? 2);
  const Bucket = stack.s3.bucket;
  const client = new S3Client({
    endpoint,
    region: env['S3_REGION'] ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
      requestTimeout: 120_000,
    }),
  });
  return {
    put: async (Key, size) => {
      const start = performance.now();
      const Body = Readable.from(generatedImage(size), { objectMode: false });
      await new Upload({ client, params: { Bucket, Key, Body, ContentType: 'image/png' }, partSize, queueSize }).done();
      return { milliseconds: performance.now() - start, bytes: size };
    },
    get: async (Key) => {
      const start = performance.now();
      const { Body } = await client.send(new GetObjectCommand({ Bucket, Key }));
      let bytes = 0;
      for await (const chunk of Body as Readable) bytes += (chunk as Buffer).length;
      return { milliseconds: performance.now() - start, bytes };
    },
    remove: async (Key) => {
      await client.send(new DeleteObjectCommand({ Bucket, Key }));
    },
    close: () => {
      client.destroy();
    },
  };
}

export interface BareRelay {
  url: string;
  pid: number;
  stop: () => void;
}

/** bare-relay.ts in front of `upstream`, in a process of its own, as a service's hop is. */
export async function startBareRelay(upstream: string): Promise<BareRelay> {
  const relay = spawn(process.execPath, [join(import.meta.dirname, 'bare-relay.ts'), upstream], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const listening = once(createInterface({ input: relay.stdout }), 'line') as Promise<[string]>;
  const exited = once(relay, 'exit').then(() => undefined);
  const line = await Promise.race([listening, exited]);
  if (line === undefined) throw new Error(`bare-relay.ts exited (${String(relay.exitCode)}) before it listened`);
  const [port] = line;
  if (relay.pid === undefined) throw new Error('bare-relay.ts did not start');
  return { url: `http://127.0.0.1:${port}`, pid: relay.pid, stop: () => relay.kill() };
}

export const closeClients = () => dispatcher.close();
