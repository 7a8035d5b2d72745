import { setTimeout as sleep } from 'node:timers/promises';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { generatedImage, streamedImage, type ApiClient } from '@platform/test-client';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { fetch, type RequestInit, type Response } from 'undici';
import { waitFor } from '../../scripts/lib/wait.ts';
import { startFreshStack, type RunningStack } from '../../scripts/local-stack/stack.ts';

/** A fresh stack for one fault suite file: real PostgreSQL and MinIO, no ingress or monitoring. */
export function startFaultStack(stateDir: string): Promise<RunningStack> {
  return startFreshStack(stateDir);
}

/** Polls `probe` every 100 ms until it returns true; resolves with the time it took, or throws. */
export async function within(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  await waitFor(`${what}: not within ${timeoutMs / 1000} s`, () => probe().catch(() => false), {
    timeoutMs,
    intervalMs: 100,
  });
  return performance.now() - started;
}

export interface Answer {
  status: number;
  /** The JSON body; empty when the body is not JSON. */
  body: Record<string, unknown>;
  headers: Response['headers'];
}

/** An answer read to the end. */
export async function answerOf(response: Response): Promise<Answer> {
  const isJson = /json/.test(response.headers.get('content-type') ?? '');
  const body = isJson ? ((await response.json()) as Record<string, unknown>) : (await response.arrayBuffer(), {});
  return { status: response.status, body, headers: response.headers };
}

/** A call to any URL of the stack (readiness, the key set); never hangs beyond `timeoutMs`. */
export async function call(url: string, init: RequestInit = {}, timeoutMs = 10_000): Promise<Answer> {
  return answerOf(await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }));
}

/** What the bucket and the table hold for one user: the two sides an upload must keep in step. */
export async function storedFor(
  stack: RunningStack,
  token: string,
): Promise<{ objects: string[]; pendingMultipartUploads: number; rows: string[] }> {
  const owner = decodeJwt(token).sub ?? '';
  const { s3, postgres } = stack.description;
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  const database = new pg.Client({ connectionString: postgres.url });
  try {
    const objects = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${owner}/` }));
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: `${owner}/` }));
    await database.connect();
    const rows = await database.query<{ object_key: string }>(
      'SELECT object_key FROM image.images WHERE owner_id = $1',
      [owner],
    );
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
  /** Bytes of file content sent so far. */
  readonly sent: () => number;
  /** Resolves with the answer once the upload is finished (or the connection broke). */
  readonly result: Promise<{ status: number; body: string } | { error: string }>;
  /** Destroys the connection mid-body, as a client that goes away. */
  readonly abort: () => void;
}

/**
 * Streams a generated PNG of `totalBytes` to the API, one mebibyte every `intervalMs`, without a
 * Content-Length: an upload that stays in flight long enough for a fault to hit it.
 */
export function slowUpload(
  client: ApiClient,
  token: string,
  { totalBytes, intervalMs = 100 }: { totalBytes: number; intervalMs?: number },
): SlowUpload {
  let sent = 0;
  const goneAway = new AbortController();
  async function* paced() {
    for (const chunk of generatedImage(totalBytes)) {
      yield chunk;
      sent += chunk.length;
      await sleep(intervalMs);
    }
  }
  const result = client
    .send('POST', '/upload', { token, multipart: streamedImage(paced()), signal: goneAway.signal })
    .then(async (response) => ({ status: response.status, body: await response.text() }))
    .catch((error: unknown) => ({ error: failureOf(error) }));
  return {
    sent: () => sent,
    result,
    abort: () => {
      goneAway.abort();
    },
  };
}

/** What broke a call: the socket's error code when there is one ("fetch failed" alone says little). */
function failureOf(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (typeof cause === 'object' && cause !== null && 'code' in cause) return String(cause.code);
  return error instanceof Error ? error.message : String(error);
}
