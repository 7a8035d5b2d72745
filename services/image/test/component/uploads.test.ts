import assert from 'node:assert/strict';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { startImageService, type ImageServiceUnderTest } from './support/image-service.ts';
import { largePng, multipart, png } from './support/multipart.ts';
import { mebibyte } from '@platform/test-client';

// The image service's HTTP layer in process, its stores in memory: each case forces one outcome of
// an upload and checks the answer the client gets and what is left stored.
describe('POST /images', () => {
  let service: ImageServiceUnderTest;
  let user: { id: string; authorization: string };

  before(async () => {
    service = await startImageService({ MAX_UPLOAD_BYTES: String(4 * mebibyte) });
    user = await service.newUser();
  });
  afterEach(() => {
    service.stores.reset();
  });
  after(async () => {
    await service.stop();
  });

  const form = multipart();
  const post = async (body: Buffer, contentType = form.contentType) => {
    const headers = { authorization: user.authorization, 'content-type': contentType };
    const response = await fetch(`${service.url}/images`, { method: 'POST', headers, body });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  const upload = (content: Buffer, filename = 'photo.png') => post(form.body([{ field: 'file', filename, content }]));

  const expectProblem = (response: Awaited<ReturnType<typeof post>>, status: number) => {
    assert.equal(response.status, status, JSON.stringify(response.body));
    assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal(response.body['status'], status);
  };
  const expectNothingStored = async () => {
    await service.stores.uploadsSettled();
    assert.deepEqual([...service.stores.storedObjects.keys()], []);
    assert.deepEqual([...service.stores.rows.keys()], []);
  };

  it('When an image is uploaded, then it answers 201 with its metadata and it downloads byte for byte', async () => {
    const image = largePng(3 * mebibyte);
    const uploaded = await upload(image, 'holiday photo.png');
    assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
    const { filename } = uploaded.body as { filename: string };
    assert.match(filename, /^[0-9a-f-]{36}_holiday_photo\.png$/);
    assert.equal(uploaded.headers.get('location'), `/images/${filename}`);
    assert.deepEqual(Object.keys(uploaded.body).sort(), ['contentType', 'createdAt', 'filename', 'id', 'size']);
    assert.equal(uploaded.body['contentType'], 'image/png');
    assert.equal(uploaded.body['size'], image.length);

    const download = await fetch(`${service.url}/images/${filename}`, {
      headers: { authorization: user.authorization },
    });
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-type'), 'image/png');
    assert.equal(download.headers.get('content-length'), String(image.length));
    assert.ok(
      Buffer.from(await download.arrayBuffer()).equals(image),
      'the downloaded bytes differ from the uploaded ones',
    );

    const metrics = await (await fetch(service.metricsUrl)).text();
    const counted = /^image_upload_size_bytes_total\{image_content_type="image\/png"\} (\d+)/m.exec(metrics)?.[1];
    assert.equal(Number(counted), image.length);
  });

  it('When the file is not an image, then it answers 415 and nothing reaches the stores', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    expectProblem(await upload(svg, 'image.png'), 415);
    assert.equal(await service.stores.uploadsSettled(), 0);
    await expectNothingStored();
  });

  it('When the image is over the size limit, then it answers 413 and stores nothing', async () => {
    expectProblem(await upload(largePng(5 * mebibyte)), 413);
    await expectNothingStored();
  });

  it('When S3 fails mid-upload, then it answers 503 with Retry-After and stores nothing', async () => {
    service.stores.failUploadsAfterBytes = mebibyte;
    const response = await upload(largePng(3 * mebibyte));
    expectProblem(response, 503);
    assert.equal(response.headers.get('retry-after'), '1');
    await expectNothingStored();
  });

  it('When the database fails after the object was written, then it answers 503 and removes the object', async () => {
    service.stores.failNewRows = true;
    const response = await upload(png);
    expectProblem(response, 503);
    assert.equal(response.headers.get('retry-after'), '1');
    assert.equal(await service.stores.uploadsSettled(), 1, 'the object was never written');
    await expectNothingStored();
  });

  it('When the client goes away mid-body, then nothing is stored', { timeout: 10_000 }, async () => {
    const headers = { authorization: user.authorization, 'content-type': form.contentType };
    const client = request(`${service.url}/images`, { method: 'POST', headers });
    client.on('error', () => undefined);
    client.write(form.head({ field: 'file', filename: 'photo.png' }));
    client.write(largePng(mebibyte));
    while (service.stores.bytesReceived < 64 * 1024) await sleep(10);
    client.destroy();
    await expectNothingStored();
  });

  it('When a second file follows the image, then it answers 400 and stores neither', async () => {
    const file = { field: 'file', filename: 'photo.png', content: png };
    expectProblem(await post(form.body([file, file])), 400);
    await expectNothingStored();
  });

  it('When the body is cut short, then it answers 400 and stores nothing', async () => {
    const whole = form.body([{ field: 'file', filename: 'photo.png', content: png }]);
    expectProblem(await post(whole.subarray(0, whole.length - 200)), 400);
    await expectNothingStored();
  });

  it('When the image is in another field, then it answers 400 and stores nothing', async () => {
    expectProblem(await post(form.body([{ field: 'image', filename: 'photo.png', content: png }])), 400);
    await expectNothingStored();
  });

  it('When the body is not multipart, then it answers 415', async () => {
    expectProblem(await post(png, 'image/png'), 415);
  });
});
