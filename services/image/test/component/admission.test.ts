import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { mebibyte } from '@platform/test-client';
import { startImageService, type ImageServiceUnderTest } from './support/image-service.ts';
import { largePng, multipart, png } from './support/multipart.ts';

const problemTypes = 'https://platform.example/problems/';
/** Without admission an upload that is never sent is never answered: fail instead of hanging. */
const bounded = { timeout: 10_000 };

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** An upload whose body the test writes piece by piece; its answer may come before the body is complete. */
function openUpload(service: ImageServiceUnderTest, authorization: string, contentLength?: number) {
  const form = multipart();
  const headers = {
    authorization,
    'content-type': form.contentType,
    ...(contentLength === undefined ? {} : { 'content-length': String(contentLength) }),
  };
  const client = request(`${service.url}/images`, { method: 'POST', headers });
  client.on('error', () => undefined);
  client.flushHeaders();
  const answer = new Promise<Answer>((resolve) => {
    client.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: JSON.parse(text || '{}') as Record<string, unknown>,
        });
      });
    });
  });
  return {
    form,
    answer,
    startFile: () => client.write(form.head({ field: 'file', filename: 'photo.png' })),
    write: (bytes: Buffer) => client.write(bytes),
    /** Writes the last bytes and ends the body. */
    send: (bytes: Buffer) => client.end(bytes),
    abandon: () => client.destroy(),
  };
}

const expectProblem = (answer: Answer, status: number, type: string) => {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(answer.body['type'], problemTypes + type);
};

// Upload admission in the image service's HTTP layer, its stores in memory: the pod's and the
// account's concurrency limits and the storage quota, each refusing before the body is read.
describe('upload admission', () => {
  let service: ImageServiceUnderTest;

  before(async () => {
    service = await startImageService({
      MAX_CONCURRENT_UPLOADS: '2',
      MAX_CONCURRENT_UPLOADS_PER_USER: '1',
      UPLOAD_QUOTA_BYTES: String(2 * mebibyte),
    });
  });
  afterEach(() => {
    service.stores.reset();
  });
  after(async () => {
    await service.stop();
  });

  /** Starts an upload and waits until the store is reading it: it holds its slots. */
  const holdUpload = async (authorization: string) => {
    const upload = openUpload(service, authorization);
    const before = service.stores.bytesReceived;
    upload.startFile();
    upload.write(largePng(256 * 1024));
    while (service.stores.bytesReceived - before < 64 * 1024) await sleep(10);
    return upload;
  };

  it(
    'When the process runs all the uploads it may, then the next is refused 503 with Retry-After before its body is sent',
    bounded,
    async () => {
      const held = [await holdUpload((await service.newUser()).authorization)];
      held.push(await holdUpload((await service.newUser()).authorization));
      // Headers only: the body is never sent, so an answer proves nothing of it was waited for.
      const refused = openUpload(service, (await service.newUser()).authorization, 10 * mebibyte);
      const answer = await refused.answer;
      expectProblem(answer, 503, 'upload-capacity-reached');
      assert.equal(answer.headers['retry-after'], '5');
      for (const upload of held) upload.abandon();
      // The slots come back: an upload is taken again once those have ended.
      await service.stores.uploadsSettled();
      const later = openUpload(service, (await service.newUser()).authorization);
      later.send(later.form.body([{ field: 'file', filename: 'photo.png', content: png }]));
      assert.equal((await later.answer).status, 201);
    },
  );

  it(
    'When an account runs all the uploads it may, then its next is refused 429 with Retry-After, and others still upload',
    bounded,
    async () => {
      const user = await service.newUser();
      const held = await holdUpload(user.authorization);
      const answer = await openUpload(service, user.authorization, mebibyte).answer;
      expectProblem(answer, 429, 'too-many-concurrent-uploads');
      assert.equal(answer.headers['retry-after'], '5');
      const other = openUpload(service, (await service.newUser()).authorization);
      other.send(other.form.body([{ field: 'file', filename: 'photo.png', content: png }]));
      assert.equal((await other.answer).status, 201);
      held.abandon();
    },
  );

  it(
    'When the declared size would exceed the quota, then it is refused 413 quota-exceeded before the body is sent',
    bounded,
    async () => {
      const user = await service.newUser();
      const first = openUpload(service, user.authorization);
      first.send(first.form.body([{ field: 'file', filename: 'photo.png', content: largePng(1.5 * mebibyte) }]));
      assert.equal((await first.answer).status, 201);
      const answer = await openUpload(service, user.authorization, mebibyte).answer;
      expectProblem(answer, 413, 'quota-exceeded');
      assert.equal(service.stores.rows.size, 1);
    },
  );

  it(
    'When a body of unknown length grows past the quota, then it is cut with 413 quota-exceeded and nothing is stored',
    bounded,
    async () => {
      const user = await service.newUser();
      const upload = openUpload(service, user.authorization); // chunked: no length to check up front
      upload.send(upload.form.body([{ field: 'file', filename: 'photo.png', content: largePng(3 * mebibyte) }]));
      expectProblem(await upload.answer, 413, 'quota-exceeded');
      await service.stores.uploadsSettled();
      assert.deepEqual([...service.stores.storedObjects.keys()], []);
      assert.deepEqual([...service.stores.rows.keys()], []);
    },
  );

  it('When the content is a PNG named photo.exe, then it is stored with the .png extension', bounded, async () => {
    const upload = openUpload(service, (await service.newUser()).authorization);
    upload.send(upload.form.body([{ field: 'file', filename: 'photo.exe', content: png }]));
    const answer = await upload.answer;
    assert.equal(answer.status, 201);
    assert.match(String(answer.body['filename']), /^[0-9a-f-]{36}_photo\.png$/);
  });
});

describe('minimum transfer rate', () => {
  let service: ImageServiceUnderTest;

  before(async () => {
    service = await startImageService({ UPLOAD_MIN_BYTES_PER_SECOND: String(mebibyte), UPLOAD_RATE_WINDOW_MS: '1000' });
  });
  after(async () => {
    await service.stop();
  });

  it(
    'When an upload trickles below the minimum rate, then it is cut with 408 and nothing is stored',
    { timeout: 10_000 },
    async () => {
      const upload = openUpload(service, (await service.newUser()).authorization);
      upload.startFile();
      upload.write(largePng(64 * 1024));
      const trickle = setInterval(() => upload.write(Buffer.alloc(1024, 1)), 100);
      try {
        const answer = await upload.answer;
        expectProblem(answer, 408, 'upload-too-slow');
        assert.equal(answer.headers['connection'], 'close');
      } finally {
        clearInterval(trickle);
        upload.abandon();
      }
      assert.equal(await service.stores.uploadsSettled(), 1);
      assert.deepEqual([...service.stores.storedObjects.keys()], []);
      assert.deepEqual([...service.stores.rows.keys()], []);
    },
  );

  it('When an upload keeps to the rate, then it is stored', bounded, async () => {
    const upload = openUpload(service, (await service.newUser()).authorization);
    upload.send(upload.form.body([{ field: 'file', filename: 'photo.png', content: largePng(3 * mebibyte) }]));
    assert.equal((await upload.answer).status, 201);
  });
});
