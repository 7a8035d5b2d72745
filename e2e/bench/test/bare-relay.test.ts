// The bare relay the benchmark puts in front of S3: requests reach the upstream as they came (method,
// path, body, and the Host the client addressed, which S3 signatures cover), answers come back whole.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startBareRelay, type BareRelay } from '../clients.ts';

describe('bare-relay.ts', () => {
  let upstream: Server;
  let relay: BareRelay;

  before(async () => {
    upstream = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        response.writeHead(request.url === '/missing' ? 404 : 200, { 'x-seen-host': request.headers.host ?? '' });
        response.end(`${request.method} ${request.url} ${body.length} ${body.subarray(0, 8).toString('hex')}`);
      });
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    relay = await startBareRelay(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
  });

  after(() => {
    relay.stop();
    upstream.close();
  });

  it('forwards the method, path, body and Host header, and streams the answer back', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 0xab);
    const answer = await fetch(`${relay.url}/bucket/key?x-id=PutObject`, { method: 'PUT', body });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('x-seen-host'), new URL(relay.url).host);
    assert.equal(await answer.text(), `PUT /bucket/key?x-id=PutObject ${body.length} abababababababab`);
  });

  it("passes the upstream's status on", async () => {
    const answer = await fetch(`${relay.url}/missing`);
    assert.equal(answer.status, 404);
    assert.equal(await answer.text(), 'GET /missing 0 ');
  });
});
