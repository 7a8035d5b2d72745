// The benchmark's two ways in: through the public API (a user with a token), and straight to the
// stack's S3 with its credentials, for the direct baseline.
import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent, request } from 'undici';
import type { StackDescription } from '../../scripts/local-stack/stack.ts';
import { imageFile, mebibyte, multipartImage } from './payload.ts';

/** One keep-alive pool for every call the benchmark makes to the services. */
const dispatcher = new Agent({ connections: 64, headersTimeout: 120_000, bodyTimeout: 120_000 });

export interface BenchUser {
  username: string;
  password: string;
  token: string;
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), dispatcher });
  return { status: response.statusCode, json: await response.body.json() };
}

/** Registers a fresh user and logs in. */
export async function createUser(api: string): Promise<BenchUser> {
  const credentials = { username: `bench-${randomBytes(5).toString('hex')}`, password: 'correct horse battery staple' };
  const registered = await postJson(`${api}/register`, credentials);
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${JSON.stringify(registered.json)}`);
  return { ...credentials, token: await login(api, credentials) };
}

/** A fresh token (they last 15 minutes; a full run takes longer). */
export async function login(api: string, credentials: { username: string; password: string }): Promise<string> {
  const response = await postJson(`${api}/login`, credentials);
  if (response.status !== 200) throw new Error(`login answered ${response.status}: ${JSON.stringify(response.json)}`);
  return (response.json as { token: string }).token;
}

export interface Timed {
  milliseconds: number;
  bytes: number;
}

/** POST /upload of a generated PNG of `size` bytes; resolves with the stored filename. */
export async function uploadThroughApi(api: string, token: string, size: number): Promise<Timed & { filename: string }> {
  const upload = multipartImage(size);
  const start = performance.now();
  const response = await request(`${api}/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': upload.contentType, 'content-length': String(upload.contentLength) },
    body: upload.body,
    dispatcher,
  });
  const answer = (await response.body.json()) as { filename?: string };
  const milliseconds = performance.now() - start;
  if (response.statusCode !== 201 || answer.filename === undefined) throw new Error(`upload answered ${response.statusCode}: ${JSON.stringify(answer)}`);
  return { milliseconds, bytes: size, filename: answer.filename };
}

/** GET `url` with the token, reading and discarding the body. */
export async function download(url: string, token: string): Promise<Timed> {
  const start = performance.now();
  const response = await request(url, { headers: { authorization: `Bearer ${token}` }, dispatcher });
  let bytes = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) bytes += chunk.length;
  const milliseconds = performance.now() - start;
  if (response.statusCode !== 200) throw new Error(`GET ${new URL(url).pathname} answered ${response.statusCode}`);
  return { milliseconds, bytes };
}

export interface DirectS3 {
  put: (key: string, size: number) => Promise<Timed>;
  get: (key: string) => Promise<Timed>;
  remove: (key: string) => Promise<void>;
  close: () => void;
}

/**
 * The baseline: the same S3 client settings and multipart part size and queue size as the image
 * service, talking to the bucket directly. The ratio then prices the two extra hops, not a config.
 */
export function directS3(stack: StackDescription): DirectS3 {
  const env = stack.services.image.env;
  const partSize = Number(env['S3_PART_SIZE_BYTES'] ?? 8 * mebibyte);
  const queueSize = Number(env['S3_UPLOAD_QUEUE_SIZE'] ?? 2);
  const Bucket = stack.s3.bucket;
  const client = new S3Client({
    endpoint: stack.s3.endpoint,
    region: env['S3_REGION'] ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({ httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }), requestTimeout: 120_000 }),
  });
  return {
    put: async (Key, size) => {
      const start = performance.now();
      await new Upload({ client, params: { Bucket, Key, Body: imageFile(size), ContentType: 'image/png' }, partSize, queueSize }).done();
      return { milliseconds: performance.now() - start, bytes: size };
    },
    get: async (Key) => {
      const start = performance.now();
      const { Body } = await client.send(new GetObjectCommand({ Bucket, Key }));
      let bytes = 0;
      for await (const chunk of Body as Readable) bytes += (chunk as Buffer).length;
      return { milliseconds: performance.now() - start, bytes };
    },
    remove: async (Key) => { await client.send(new DeleteObjectCommand({ Bucket, Key })); },
    close: () => { client.destroy(); },
  };
}

export async function deleteThroughApi(api: string, token: string, filename: string): Promise<void> {
  const response = await request(`${api}/images/${encodeURIComponent(filename)}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` }, dispatcher });
  await response.body.dump();
}

export const closeClients = () => dispatcher.close();
