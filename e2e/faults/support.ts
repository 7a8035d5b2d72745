import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { startStack, type RunningStack } from '../../scripts/local-stack/stack.ts';
import { png } from '../slo/support.ts';

export { login, png } from '../slo/support.ts';

/** A fresh stack for one fault suite file: real PostgreSQL and MinIO, no ingress or monitoring. */
export function startFaultStack(stateDir: string): Promise<RunningStack> {
  return startStack({ stateDir, reset: true, watch: false, embeddedS3: false, ingress: false, monitoring: false, onProgress: () => undefined });
}

/** Polls `probe` every 100 ms until it returns true; resolves with the time it took, or throws. */
export async function within(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await probe().catch(() => false)) return performance.now() - started;
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
}

/** Status and JSON body (empty when not JSON) of a call; never hangs beyond `timeoutMs`. */
export async function call(url: string, init: RequestInit = {}, timeoutMs = 10_000): Promise<{ status: number; body: Record<string, unknown>; headers: Headers; ms: number }> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const isJson = /json/.test(response.headers.get('content-type') ?? '');
  const body = isJson ? ((await response.json()) as Record<string, unknown>) : (await response.arrayBuffer(), {});
  return { status: response.status, body, headers: response.headers, ms: performance.now() - started };
}

/** What the bucket and the table hold for one user: the two sides an upload must keep in step. */
export async function storedFor(stack: RunningStack, token: string): Promise<{ objects: string[]; pendingMultipartUploads: number; rows: string[] }> {
  const owner = decodeJwt(token).sub ?? '';
  const { s3, postgres } = stack.description;
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  const database = new pg.Client({ connectionString: postgres.url });
  try {
    const objects = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${owner}/` }));
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: `${owner}/` }));
    await database.connect();
    const rows = await database.query<{ object_key: string }>('SELECT object_key FROM image.images WHERE owner_id = $1', [owner]);
    return {
      objects: (objects.Contents ?? []).map((object) => object.Key ?? '').sort(),
      pendingMultipartUploads: uploads.Uploads?.length ?? 0,
      rows: rows.rows.map((row) => row.object_key).sort(),
    };
  } finally {
    client.destroy();
    await database.end();
  }
}

export interface SlowUpload {
  /** Bytes of file content written so far. */
  readonly sent: () => number;
  /** Resolves with the answer once the upload is finished (or the connection broke). */
  readonly result: Promise<{ status: number; body: string } | { error: string }>;
  /** Destroys the connection mid-body, as a client that goes away. */
  readonly abort: () => void;
}

/**
 * Streams a PNG of `totalBytes` to the API as multipart, one `chunkBytes` chunk every `intervalMs`:
 * an upload that stays in flight long enough for a fault to hit it.
 */
export function slowUpload(api: string, token: string, { totalBytes, chunkBytes = 1024 * 1024, intervalMs = 100 }: { totalBytes: number; chunkBytes?: number; intervalMs?: number }): SlowUpload {
  const boundary = `----fault${randomBytes(6).toString('hex')}`;
  const request = httpRequest(`${api}/upload`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` } });
  let sent = 0;
  const state = { aborted: false };
  const result = new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => { resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }); });
      response.on('error', (error) => { resolve({ error: error.message }); });
    });
    request.on('error', (error: NodeJS.ErrnoException) => { resolve({ error: error.code ?? error.message }); });
  });
  void (async () => {
    request.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.png"\r\nContent-Type: image/png\r\n\r\n`);
    request.write(png);
    sent = png.length;
    while (sent < totalBytes && !state.aborted && !request.destroyed) {
      const size = Math.min(chunkBytes, totalBytes - sent);
      if (!request.write(Buffer.alloc(size, 0x20))) await new Promise((resolve) => request.once('drain', resolve));
      sent += size;
      await sleep(intervalMs);
    }
    if (!state.aborted && !request.destroyed) request.end(`\r\n--${boundary}--\r\n`);
  })();
  return {
    sent: () => sent,
    result,
    abort: () => {
      state.aborted = true;
      request.destroy();
    },
  };
}
