import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from '@playwright/test';
import { ApiClient, mebibyte } from '@platform/test-client';
import type { RunningStack } from '../../scripts/local-stack/stack.ts';
import { slowUpload, startFaultStack, storedFor, within } from './support.ts';

// Upload consistency under faults: whatever breaks mid-upload, the bucket and the table agree
// afterwards (no object without a row, no row without an object), and an upload that was
// acknowledged (201) is never lost. Each case inspects both sides directly.

let stack: RunningStack;
let client: ApiClient;

test.beforeAll(async () => {
  stack = await startFaultStack('.dev/faults-uploads');
  client = new ApiClient({ baseUrl: stack.description.services.api.url });
});
test.afterAll(async () => {
  await stack.stop();
});

async function expectNothingStored(token: string) {
  const stored = await storedFor(stack, token);
  expect(stored.rows).toEqual([]);
  expect(stored.objects).toEqual([]);
  return stored;
}

async function waitUntilSent(upload: ReturnType<typeof slowUpload>, bytes: number) {
  await within(`${bytes} bytes sent`, 30_000, () => Promise.resolve(upload.sent() >= bytes));
}

test('a client that goes away mid-upload leaves no object, no row and no open multipart upload', async () => {
  const { token } = await client.newAccount('abort');
  const upload = slowUpload(client, token, { totalBytes: 64 * mebibyte });
  await waitUntilSent(upload, 12 * mebibyte); // past the first multipart part
  upload.abort();
  expect(await upload.result).toHaveProperty('error');
  // The image service notices the broken stream and aborts the multipart upload.
  await within(
    'the multipart upload to be aborted',
    10_000,
    async () => (await storedFor(stack, token)).pendingMultipartUploads === 0,
  );
  await expectNothingStored(token);
});

test('S3 failing mid-stream: the client gets a 503, and no object or row is left once S3 is back', async () => {
  const { token } = await client.newAccount('s3');
  const upload = slowUpload(client, token, { totalBytes: 64 * mebibyte });
  await waitUntilSent(upload, 12 * mebibyte);
  await stack.objectStore.stop();
  try {
    const result = await upload.result;
    // Either the 503 problem arrives, or the API closes the connection after answering it early.
    if ('status' in result) {
      expect(result.status, result.body).toBe(503);
      expect(JSON.parse(result.body)).toMatchObject({ status: 503 });
    }
  } finally {
    await stack.objectStore.start();
  }
  const stored = await expectNothingStored(token);
  // Parts uploaded before S3 went away cannot be aborted while it is down; MinIO expires stale
  // multipart uploads by itself (24 h), an AWS bucket needs the lifecycle rule the README names.
  console.log(`S3 fault: ${stored.pendingMultipartUploads} multipart upload(s) left to expire`);
});

test('PostgreSQL failing after the object was written: 503, and the object is deleted again', async () => {
  const { token } = await client.newAccount('db');
  const upload = slowUpload(client, token, { totalBytes: 24 * mebibyte });
  await waitUntilSent(upload, 8 * mebibyte);
  await stack.postgres?.stop();
  try {
    const result = await upload.result;
    expect(result).toHaveProperty('status', 503);
  } finally {
    await stack.postgres?.start();
  }
  await expectNothingStored(token);
});

test('over the configured size limit, streamed without a Content-Length: 413 and nothing stored', async () => {
  const configuredLimit = stack.description.services.image.env['MAX_UPLOAD_BYTES'] ?? '';
  await stack.restartService('image', { MAX_UPLOAD_BYTES: String(4 * mebibyte) });
  try {
    const { token } = await client.newAccount('limit');
    const upload = slowUpload(client, token, { totalBytes: 16 * mebibyte, intervalMs: 10 });
    const result = await upload.result;
    expect(result).toHaveProperty('status', 413);
    await within(
      'the multipart upload to be aborted',
      10_000,
      async () => (await storedFor(stack, token)).pendingMultipartUploads === 0,
    );
    await expectNothingStored(token);
  } finally {
    await stack.restartService('image', { MAX_UPLOAD_BYTES: configuredLimit });
  }
});

test('acknowledged uploads survive faults around them: every 201 has its object and its row', async () => {
  // Three accounts with two uploads each: an account may run two at once (MAX_CONCURRENT_UPLOADS_PER_USER).
  const tokens = await Promise.all([1, 2, 3].map(async () => (await client.newAccount('acked')).token));
  const acknowledged: string[] = [];
  const uploads = Array.from({ length: 6 }, (_, index) =>
    slowUpload(client, tokens[index % tokens.length] ?? '', { totalBytes: (2 + index) * mebibyte, intervalMs: 50 }),
  );
  await sleep(200);
  await stack.postgres?.stop();
  await stack.postgres?.start();
  for (const upload of uploads) {
    const result = await upload.result;
    if ('status' in result && result.status === 201)
      acknowledged.push((JSON.parse(result.body) as { filename: string }).filename);
    else if ('status' in result) expect(result.status).toBe(503);
  }
  const stored = await Promise.all(tokens.map((token) => storedFor(stack, token)));
  for (const { rows, objects } of stored) expect(rows).toEqual(objects);
  const objects = stored.flatMap((each) => each.objects);
  for (const filename of acknowledged) expect(objects.some((key) => key.endsWith(`/${filename}`))).toBe(true);
  console.log(
    `${acknowledged.length} of ${uploads.length} uploads acknowledged around a PostgreSQL restart; all stored`,
  );
});
