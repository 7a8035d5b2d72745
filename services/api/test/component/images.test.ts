import assert from 'node:assert/strict';
import { PassThrough, type Readable } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fetch, FormData } from 'undici';
import { imageOrigin, json, problem, problemJson, publicBaseUrl, startGateway, type Gateway } from './gateway.ts';

let gateway: Gateway;
let bearer: { authorization: string };
before(async () => {
  gateway = await startGateway();
  bearer = { authorization: `Bearer ${gateway.tokenFor('3b241101-e2bb-4255-8caf-4136c566a962')}` };
});
afterEach(() => {
  assert.deepEqual(gateway.unusedAnswers(), []);
});
after(async () => {
  await gateway.stop();
});

const image = {
  id: '9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f',
  filename: '9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f_photo.png',
  contentType: 'image/png',
  size: 1024,
  createdAt: '2025-01-02T03:04:05.000Z',
};
const imageUrl = `${publicBaseUrl}/images/${image.filename}`;
const imageService = () => gateway.upstreams.get(imageOrigin);
const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${gateway.url}${path}`, { headers: { ...bearer, ...headers } });

describe('POST /upload', () => {
  // A bound on the test: a mocked upstream that never answers would otherwise hold it for minutes.
  const uploadTimeout = { timeout: 10_000 };
  it('When uploading, Then the body reaches the image service as it arrives', uploadTimeout, async () => {
    const boundary = 'component-test-boundary';
    const disposition = 'Content-Disposition: form-data; name="file"; filename="photo.png"';
    const firstPart = Buffer.from(`--${boundary}\r\n${disposition}\r\n\r\n`);
    const lastPart = Buffer.from(`PNG bytes\r\n--${boundary}--\r\n`);
    const forwarded = { body: Buffer.alloc(0), headers: {} as Record<string, string> };
    const { promise: firstPartForwarded, resolve: firstPartArrived } = Promise.withResolvers<boolean>();
    imageService()
      .intercept({ method: 'POST', path: '/images' })
      .reply(
        201,
        async ({ body, headers }) => {
          forwarded.headers = headers as Record<string, string>;
          for await (const chunk of body as Readable) {
            forwarded.body = Buffer.concat([forwarded.body, chunk as Buffer]);
            if (forwarded.body.length >= firstPart.length) firstPartArrived(true);
          }
          return image;
        },
        { headers: json },
      );

    // The client holds back the end of its body until the image service has had the start of it
    // (or 2 s have passed): a gateway that buffered uploads would forward nothing before the end.
    const upload = new PassThrough();
    upload.write(firstPart);
    const forwardedWhileSending = Promise.race([firstPartForwarded, sleep(2_000, false)]);
    void forwardedWhileSending.then(() => upload.end(lastPart));
    const response = await fetch(`${gateway.url}/upload`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: upload,
      duplex: 'half',
    });

    assert.equal(await forwardedWhileSending, true, 'the image service got nothing before the upload was complete');
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('location'), imageUrl);
    assert.deepEqual(await response.json(), {
      message: 'Uploaded successfully',
      filename: image.filename,
      url: imageUrl,
      id: image.id,
      contentType: image.contentType,
      size: image.size,
    });
    assert.deepEqual(forwarded.body, Buffer.concat([firstPart, lastPart]));
    assert.equal(forwarded.headers['content-type'], `multipart/form-data; boundary=${boundary}`);
    assert.equal(forwarded.headers['authorization'], bearer.authorization);
  });

  it('When the image service refuses the file, Then its problem reaches the client unchanged', async () => {
    const refused = problem(415, 'unsupported-media-type', 'Unsupported media type', 'The file is not an image.');
    imageService().intercept({ method: 'POST', path: '/images' }).reply(415, refused, { headers: problemJson });
    const form = new FormData();
    form.append('file', new Blob(['<script>'], { type: 'image/png' }), 'photo.png');

    const response = await fetch(`${gateway.url}/upload`, { method: 'POST', headers: bearer, body: form });

    assert.equal(response.status, 415);
    assert.deepEqual(await response.json(), refused);
  });
});

describe('GET /images/:filename', () => {
  const downloadHeaders = {
    'content-type': 'image/png',
    'content-length': '9',
    etag: '"0123456789abcdef"',
    'last-modified': 'Thu, 02 Jan 2025 03:04:05 GMT',
    'cache-control': 'private, no-cache',
  };

  it('When downloading, Then the bytes and the headers describing them are relayed, and no others', async () => {
    imageService()
      .intercept({ method: 'GET', path: `/images/${image.filename}` })
      .reply(200, Buffer.from('PNG bytes'), { headers: { ...downloadHeaders, 'x-internal': 'not for clients' } });

    const response = await get(`/images/${image.filename}`);

    assert.equal(response.status, 200);
    for (const [name, value] of Object.entries(downloadHeaders)) assert.equal(response.headers.get(name), value, name);
    assert.equal(response.headers.get('x-internal'), null);
    assert.equal(Buffer.from(await response.arrayBuffer()).toString(), 'PNG bytes');
  });

  it('When the client holds the current copy, Then the 304 and its validators are relayed', async () => {
    const { etag, 'last-modified': lastModified, 'cache-control': cacheControl } = downloadHeaders;
    imageService()
      .intercept({ method: 'GET', path: `/images/${image.filename}`, headers: { 'if-none-match': etag } })
      .reply(304, '', { headers: { etag, 'last-modified': lastModified, 'cache-control': cacheControl } });

    const response = await get(`/images/${image.filename}`, { 'if-none-match': etag });

    assert.equal(response.status, 304);
    assert.equal(response.headers.get('etag'), etag);
    assert.equal(response.headers.get('cache-control'), cacheControl);
  });

  it("When the image is missing, Then the image service's 404 problem is relayed", async () => {
    const missing = problem(404, 'not-found', 'Not found', 'No such image.');
    imageService()
      .intercept({ method: 'GET', path: '/images/absent.png' })
      .reply(404, missing, { headers: problemJson });

    const response = await get('/images/absent.png');

    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.deepEqual(await response.json(), missing);
  });

  it("When a HEAD finds no image, Then the image service's 404 is relayed, without a body", async () => {
    imageService().intercept({ method: 'HEAD', path: '/images/absent.png' }).reply(404, '', { headers: problemJson });

    const response = await fetch(`${gateway.url}/images/absent.png`, { method: 'HEAD', headers: bearer });

    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal((await response.arrayBuffer()).byteLength, 0);
  });
});

describe('GET /images and DELETE /images/:filename', () => {
  it('When listing, Then each image gets its public URL', async () => {
    imageService()
      .intercept({ method: 'GET', path: '/images', query: { limit: '10' } })
      .reply(200, { images: [image], nextCursor: image.id }, { headers: json });

    const response = await get('/images?limit=10');

    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { images: [{ ...image, url: imageUrl }], nextCursor: image.id });
  });

  it('When the image service lists something that is not an image, Then the client gets a 502 problem', async () => {
    const notImages = { images: [{ name: 'photo.png' }] };
    imageService().intercept({ method: 'GET', path: '/images' }).reply(200, notImages, { headers: json });

    const response = await get('/images');

    assert.equal(response.status, 502);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  });

  it('When deleting, Then the 204 is relayed', async () => {
    imageService()
      .intercept({ method: 'DELETE', path: `/images/${image.filename}` })
      .reply(204, '');

    const response = await fetch(`${gateway.url}/images/${image.filename}`, { method: 'DELETE', headers: bearer });

    assert.equal(response.status, 204);
  });
});

describe('an unreachable image service', () => {
  it('When no attempt to connect succeeds, Then the client gets a 503 problem with Retry-After', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    // A read is tried three times (UPSTREAM_READ_RETRIES defaults to 2).
    imageService().intercept({ method: 'GET', path: '/images' }).replyWithError(refused).times(3);

    const response = await get('/images');

    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '1');
    const detail = 'The image service is unavailable.';
    assert.deepEqual(await response.json(), problem(503, 'service-unavailable', 'Service unavailable', detail));
  });
});
