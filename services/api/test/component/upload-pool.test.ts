import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fetch } from 'undici';
import { startGateway, type Gateway } from './gateway.ts';

// A real image service on a local port, reached through the gateway's own undici pools: what is
// tested is how the pools share connections, which a MockAgent does not have.
const image = {
  id: '9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f',
  filename: '9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f_photo.png',
  contentType: 'image/png',
  size: 9,
  createdAt: '2025-01-02T03:04:05.000Z',
};
const uploadConnections = 2;

let imageService: Server;
let gateway: Gateway;
let bearer: { authorization: string };
/** Uploads the image service has begun to receive and not yet answered. */
const uploadsArriving: IncomingMessage[] = [];
let uploadArrived: () => void = () => {};

before(async () => {
  imageService = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.method === 'POST') {
      // An upload is answered only once its whole body has come: a slow client holds the connection.
      uploadsArriving.push(req);
      uploadArrived();
      req.resume();
      req.on('end', () => {
        res.statusCode = 201;
        res.end(JSON.stringify(image));
      });
      return;
    }
    res.end(JSON.stringify({ images: [image] }));
  }).listen(0, '127.0.0.1');
  await once(imageService, 'listening');
  gateway = await startGateway({
    realUpstreams: true,
    env: {
      IMAGE_URL: `http://127.0.0.1:${(imageService.address() as AddressInfo).port}`,
      // The same size for both pools: shared, two slow uploads would leave a listing nothing.
      UPSTREAM_CONNECTIONS: String(uploadConnections),
      UPSTREAM_UPLOAD_CONNECTIONS: String(uploadConnections),
    },
  });
  bearer = { authorization: `Bearer ${gateway.tokenFor('3b241101-e2bb-4255-8caf-4136c566a962')}` };
});
after(async () => {
  await gateway.stop();
  imageService.closeAllConnections();
  imageService.close();
});

const boundary = 'upload-pool-boundary';
const firstPart = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.png"\r\n\r\n`;
const lastPart = `PNG bytes\r\n--${boundary}--\r\n`;

/** An upload whose body stops after its first part, until `finish` is called. */
function slowUpload() {
  const body = new PassThrough();
  body.write(firstPart);
  const response = fetch(`${gateway.url}/upload`, {
    method: 'POST',
    headers: { ...bearer, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body,
    duplex: 'half',
  });
  return { response, finish: () => body.end(lastPart) };
}

async function imageServiceHasUploads(count: number): Promise<void> {
  while (uploadsArriving.length < count) await new Promise<void>((resolve) => (uploadArrived = resolve));
}

describe('upstream pools: uploads apart from reads', () => {
  it(
    'slow uploads filling their pool leave listings and downloads answering; one more upload gets 503 at once',
    {
      timeout: 20_000,
    },
    async () => {
      const held = Array.from({ length: uploadConnections }, slowUpload);
      await imageServiceHasUploads(uploadConnections);

      // A bound only so that a starved read fails the test instead of hanging it.
      const listing = await fetch(`${gateway.url}/images`, { headers: bearer, signal: AbortSignal.timeout(5_000) });
      assert.equal(listing.status, 200);
      assert.deepEqual(((await listing.json()) as { images: unknown[] }).images.length, 1);
      const download = await fetch(`${gateway.url}/images/${image.filename}`, {
        headers: bearer,
        signal: AbortSignal.timeout(5_000),
      });
      assert.equal(download.status, 200);
      await download.body?.cancel();

      const refused = await fetch(`${gateway.url}/upload`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: firstPart + lastPart,
        signal: AbortSignal.timeout(5_000),
      });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '5');
      assert.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(uploadsArriving.length, uploadConnections, 'the refused upload never reached the image service');
      await refused.body?.cancel();

      for (const upload of held) upload.finish();
      for (const upload of held) assert.equal((await upload.response).status, 201);

      // The slots are given back: the next upload goes through.
      const next = slowUpload();
      next.finish();
      assert.equal((await next.response).status, 201);
    },
  );
});
