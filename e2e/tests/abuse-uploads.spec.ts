import { createHash } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { Agent } from 'undici';
import {
  ApiClient,
  fixtureImage,
  generatedImage,
  mebibyte,
  multipart,
  streamedImage,
  type MultipartBody,
} from '@platform/test-client';
import { chartMemoryLimitBytes } from '../../scripts/local-stack/service-environments.ts';
import { imageConfigSchema } from '../../services/image/src/config.ts';
import { hashedUpload, residentBytes } from '../support/big-uploads.ts';
import { apiClient, runningStack, startOwnGateway } from '../support/stack.ts';

// One account must not be able to take the image tier down: uploads are admitted by the memory the
// image service has (503 + Retry-After past it), per account (429), within a storage quota (413
// quota-exceeded), at a minimum rate (408); reads keep answering meanwhile.

const problemType = (kind: string) => `https://platform.example/problems/${kind}`;

interface Answer {
  status: number;
  retryAfter: string | null;
  body: string;
}

const answerOf = async (response: Response | Awaited<ReturnType<ApiClient['send']>>): Promise<Answer> => ({
  status: response.status,
  retryAfter: response.headers.get('retry-after'),
  body: await response.text(),
});

/** An upload that sends its first mebibyte, then waits for `release` before sending the rest. */
function heldUpload(client: ApiClient, token: string, size: number, release: Promise<void>) {
  let sent = 0;
  async function* held() {
    for (const chunk of generatedImage(size)) {
      yield chunk;
      sent += chunk.length;
      if (sent >= mebibyte) await release;
    }
  }
  const answer = client.send('POST', '/upload', { token, multipart: streamedImage(held(), { size }) }).then(answerOf);
  return { answer, sent: () => sent };
}

async function until(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('8 parallel 96 MiB uploads: each admitted or refused with Retry-After, reads keep answering, the image service stays under its memory target', async () => {
  test.setTimeout(600_000);
  const stack = runningStack();
  const pid = stack.services.image.pid ?? 0;
  const memoryLimit = chartMemoryLimitBytes('image');
  // The share of its pod's limit the service admits uploads against (the stack and the charts keep the default).
  const memoryTarget = (memoryLimit * imageConfigSchema.shape.MEMORY_TARGET_PERCENT.parse(undefined)) / 100;
  const client = apiClient();
  const reader = await client.newAccount('reader');
  const small = await client.upload(reader.token);
  const uploaders = await Promise.all([1, 2, 3, 4].map(() => client.newAccount('bulk')));
  const idleRss = residentBytes(pid, 'VmRSS');

  const reading = { done: false, statuses: [] as number[] };
  const reads = (async () => {
    while (!reading.done) {
      for (const path of [`/images/${small.filename}`, '/images?limit=10']) {
        const response = await client.send('GET', path, { token: reader.token });
        await response.arrayBuffer();
        reading.statuses.push(response.status);
      }
    }
  })();
  const uploads = Array.from({ length: 8 }, (_, index) => {
    const { upload, digest } = hashedUpload(96 * mebibyte);
    const token = uploaders[index % uploaders.length]?.token ?? '';
    return { token, digest, answer: client.send('POST', '/upload', { token, multipart: upload }).then(answerOf) };
  });
  const answers = await Promise.all(uploads.map(({ answer }) => answer));
  reading.done = true;
  await reads;
  const peak = residentBytes(pid, 'VmHWM');

  const admitted = answers.filter(({ status }) => status === 201).length;
  const mib = (bytes: number) => (bytes / mebibyte).toFixed(0);
  const summary = `${admitted} of 8 admitted (${answers.map(({ status }) => status).join(' ')}); image VmHWM ${mib(peak)} MiB, target ${mib(memoryTarget)} MiB of a ${mib(memoryLimit)} MiB limit (idle VmRSS ${mib(idleRss)} MiB); ${reading.statuses.length} small reads alongside`;
  test.info().annotations.push({ type: 'abuse uploads', description: summary });
  console.log(`abuse-uploads: ${summary}`);

  for (const answer of answers) {
    if (answer.status === 201) continue;
    expect([429, 503], answer.body).toContain(answer.status);
    expect(answer.retryAfter, answer.body).toMatch(/^\d+$/);
    // The image service's own refusal, relayed: not a connection lost on the way.
    expect([problemType('upload-capacity-reached'), problemType('too-many-concurrent-uploads')]).toContain(
      (JSON.parse(answer.body) as { type: string }).type,
    );
  }
  expect(admitted).toBeGreaterThan(0);
  // Eight at once are more than a pod's memory target holds (six with the chart's figures): some must
  // be refused. Without admission all eight ran, and the peak was then only timing away from the
  // limit (367 MiB of 384 in one run here): a bound that holds whatever the timing is the point.
  expect(admitted).toBeLessThan(8);
  expect(reading.statuses.length).toBeGreaterThan(0);
  expect(reading.statuses.every((status) => status === 200)).toBe(true);
  expect(peak).toBeLessThan(memoryTarget);

  // Byte for byte on the way back, for one that was admitted.
  const first = uploads[answers.findIndex(({ status }) => status === 201)];
  const receipt = JSON.parse(answers.find(({ status }) => status === 201)?.body ?? '{}') as { filename: string };
  const download = await client.download(first?.token ?? '', receipt.filename);
  const hash = createHash('sha256');
  for await (const chunk of (download.body ?? []) as AsyncIterable<Uint8Array>) hash.update(chunk);
  expect(hash.digest('hex')).toBe(await first?.digest);
});

test('an account running its concurrent uploads has the next refused 429 with Retry-After; the held ones complete', async () => {
  test.setTimeout(120_000);
  const client = apiClient();
  const { token } = await client.newAccount('eager');
  const release = Promise.withResolvers<undefined>();
  const held = [1, 2].map(() =>
    heldUpload(
      client,
      token,
      8 * mebibyte,
      release.promise.then(() => undefined),
    ),
  );
  // Bodies flowing means both were admitted: the image service reads nothing before it admits.
  await until('both held uploads to be streaming', () => held.every((upload) => upload.sent() >= mebibyte));
  const third = await answerOf(
    await client.send('POST', '/upload', { token, multipart: fixtureUploadNamed('third.png') }),
  );
  release.resolve(undefined);
  expect(third.status, third.body).toBe(429);
  expect(JSON.parse(third.body)).toMatchObject({ status: 429, type: problemType('too-many-concurrent-uploads') });
  expect(third.retryAfter).toMatch(/^\d+$/);
  for (const upload of held) expect((await upload.answer).status).toBe(201);
});

test('an upload trickling below the minimum rate is cut with 408 and leaves nothing stored', async () => {
  test.setTimeout(120_000);
  const client = apiClient();
  const { token } = await client.newAccount('trickle');
  async function* trickle() {
    yield* generatedImage(64 * 1024);
    // Then a byte a second: far below any sensible minimum, forever unless cut.
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      yield Buffer.alloc(1, 0);
    }
  }
  const answer = await answerOf(await client.send('POST', '/upload', { token, multipart: streamedImage(trickle()) }));
  expect(answer.status, answer.body).toBe(408);
  expect(JSON.parse(answer.body)).toMatchObject({ status: 408, type: problemType('upload-too-slow') });
  expect(await client.list(token)).toEqual([]);
});

test('a PNG named photo.exe is stored as .png', async () => {
  const client = apiClient();
  const { token } = await client.newAccount('exe');
  const receipt = await client.upload(token, fixtureUploadNamed('photo.exe'));
  expect(receipt.filename).toMatch(/^[0-9a-f-]{36}_photo\.png$/);
  expect(receipt.contentType).toBe('image/png');
});

const fixtureUploadNamed = (filename: string) =>
  multipart([{ name: 'file', filename, contentType: 'application/octet-stream', content: fixtureImage }]);

test('past the storage quota: 413 quota-exceeded, up front from Content-Length and while streaming, nothing half-written', async () => {
  test.setTimeout(180_000);
  const quotaBytes = 16 * mebibyte;
  // The stack's own image and api, again, with a quota small enough to fill.
  const gateway = await startOwnGateway('quota', { imageEnv: { UPLOAD_QUOTA_BYTES: String(quotaBytes) } });
  try {
    const client = new ApiClient({ baseUrl: gateway.apiUrl });
    const { token } = await client.newAccount('quota');
    const kept = await client.upload(token, streamedImage(generatedImage(12 * mebibyte), { size: 12 * mebibyte }));

    // Each refused upload on a connection of its own: the answer comes while the body is still being
    // sent, and a connection given up mid-body is not one to send the next request on.
    const refusedUpload = async (upload: MultipartBody) => {
      const dispatcher = new Agent();
      try {
        const own = new ApiClient({ baseUrl: gateway.apiUrl, dispatcher });
        return await answerOf(await own.send('POST', '/upload', { token, multipart: upload }));
      } finally {
        await dispatcher.destroy();
      }
    };
    const declared = await refusedUpload(streamedImage(generatedImage(8 * mebibyte), { size: 8 * mebibyte }));
    expect(declared.status, declared.body).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({ type: problemType('quota-exceeded') });

    // No length to check up front: the stream is counted and cut as it passes the quota.
    const streamed = await refusedUpload(streamedImage(generatedImage(8 * mebibyte)));
    expect(streamed.status, streamed.body).toBe(413);
    expect(JSON.parse(streamed.body)).toMatchObject({ type: problemType('quota-exceeded') });

    expect((await client.list(token)).map(({ filename }) => filename)).toEqual([kept.filename]);
  } finally {
    await gateway.stop();
  }
});
