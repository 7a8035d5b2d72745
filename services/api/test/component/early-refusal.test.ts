import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGateway, type Gateway } from './gateway.ts';

// A real image service that refuses every upload as soon as its headers arrive, as the image
// service does when an account runs all the uploads it may (429), before reading the body.
let imageService: Server;
let gateway: Gateway;
let authorization: string;

before(async () => {
  imageService = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.method === 'POST') {
      res.statusCode = 429;
      res.setHeader('content-type', 'application/problem+json');
      res.end(
        JSON.stringify({
          type: 'https://platform.example/problems/too-many-uploads',
          title: 'Too many uploads',
          status: 429,
        }),
      );
      return;
    }
    res.end(JSON.stringify({ images: [] }));
  }).listen(0, '127.0.0.1');
  await once(imageService, 'listening');
  gateway = await startGateway({
    realUpstreams: true,
    env: { IMAGE_URL: `http://127.0.0.1:${(imageService.address() as AddressInfo).port}` },
  });
  authorization = `Bearer ${gateway.tokenFor('3b241101-e2bb-4255-8caf-4136c566a962')}`;
});
after(async () => {
  await gateway.stop();
  imageService.closeAllConnections();
  imageService.close();
});

const boundary = 'early-refusal-boundary';
const uploadBytes = 1024 * 1024;
const firstPart = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.png"\r\n\r\n`;

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
}

/** One request on `agent`; the answer's status and headers once its body has been read. */
function send(agent: Agent, method: string, path: string, body?: { contentLength: number; firstChunk: string }) {
  const headers: Record<string, string> = { authorization };
  if (body !== undefined) {
    headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
    headers['content-length'] = String(body.contentLength);
  }
  const client = request(`${gateway.url}${path}`, { method, headers, agent });
  const answer = new Promise<Answer>((resolve, reject) => {
    client.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      });
    });
    client.on('error', reject);
  });
  if (body === undefined) client.end();
  else client.write(body.firstChunk); // the rest of the body never comes: the client is still "sending"
  return { answer, client };
}

describe('an upload refused before its body is read', () => {
  it(
    'leaves the connection usable: the rest of the body is read away, and the next request on it is answered',
    {
      timeout: 15_000,
    },
    async () => {
      // One connection at most, kept alive: the listing goes down the connection the upload used. With
      // the rest of the upload left unread there, the listing waited behind it until the socket timed out.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const upload = send(agent, 'POST', '/upload', { contentLength: uploadBytes, firstChunk: firstPart });
        const refused = await upload.answer;
        assert.equal(refused.status, 429);
        assert.notEqual(refused.headers.connection, 'close');
        // The client sends the rest of its body anyway, as HTTP/1.1 clients do, then has a connection to reuse.
        upload.client.end(Buffer.alloc(uploadBytes - Buffer.byteLength(firstPart)));

        const listing = send(agent, 'GET', '/images');
        const answered = await Promise.race([listing.answer, sleep(5_000, undefined, { ref: false })]);
        assert.equal(answered?.status, 200, 'the next request on the same connection is answered within 5 s');
        assert.equal(upload.client.socket, listing.client.socket, 'one connection served both');
      } finally {
        agent.destroy();
      }
    },
  );
});
