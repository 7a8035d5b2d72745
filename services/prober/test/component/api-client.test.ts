import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { ensureCertificate, ensureCertificateAuthority } from '../../../../scripts/lib/x509.ts';
import { createApiClient } from '../../src/data-access/api-client.ts';

// The prober's client against a TLS server of a public name that does not resolve here (platform.test), as in a
// cluster where the edge's public name resolves outside it: PROBE_CONNECT_TO dials the server's address, while the
// name stays the TLS server name (SNI, verified against the certificate) and the Host header.

const dir = mkdtempSync(join(tmpdir(), 'prober-client-'));
const caFile = join(dir, 'ca.pem');
let server: Server;
let port: number;
/** An HTTP/2 edge that refuses every upload at once, without reading its body, as nginx does when the api answers 503. */
let refusingEdge: Http2SecureServer;
let refusingPort: number;
const seen: { host?: string | undefined; servername?: string | false | null } = {};

before(async () => {
  const ca = await ensureCertificateAuthority(
    { certificate: caFile, privateKey: join(dir, 'ca-key.pem') },
    'CN=prober test CA',
  );
  const tls = await ensureCertificate(
    { certificate: join(dir, 'server.pem'), privateKey: join(dir, 'server-key.pem') },
    ca,
    { subject: 'CN=platform.test', dnsNames: ['platform.test'], usage: 'server', validDays: 1 },
  );
  server = createServer(
    { cert: readFileSync(tls.certificate), key: readFileSync(tls.privateKey) },
    (request, response) => {
      seen.host = request.headers.host;
      seen.servername = request.socket instanceof TLSSocket ? request.socket.servername : undefined;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'a-token' }));
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;

  refusingEdge = createSecureServer(
    { cert: readFileSync(tls.certificate), key: readFileSync(tls.privateKey) },
    (request, response) => {
      if (request.url === '/upload') {
        response.writeHead(503, { 'content-type': 'application/problem+json' }).end('{"title":"Service Unavailable"}');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'a-token' }));
    },
  );
  refusingEdge.listen(0, '127.0.0.1');
  await once(refusingEdge, 'listening');
  refusingPort = (refusingEdge.address() as AddressInfo).port;
});

after(() => {
  server.close();
  refusingEdge.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fetch failure whose cause's code matches. */
const causedBy =
  (code: RegExp) =>
  (error: unknown): boolean => {
    const cause = (error as { cause?: { code?: string } }).cause;
    assert.match(String(cause?.code), code);
    return true;
  };

const account = { username: 'journey-prober', password: 'a long enough password' };

describe('the edge client', () => {
  it('with PROBE_CONNECT_TO: dials that address, speaking TLS and HTTP to the public name, trusting the CA given', async () => {
    const client = createApiClient({
      baseUrl: `https://platform.test:${String(port)}`,
      caFile,
      connectTo: `127.0.0.1:${String(port)}`,
    });
    try {
      assert.equal(await client.login(account, AbortSignal.timeout(5_000)), 'a-token');
      assert.equal(seen.servername, 'platform.test');
      assert.equal(seen.host, `platform.test:${String(port)}`);
    } finally {
      await client.close();
    }
  });

  it('refuses the edge when its certificate is not of the CA given (the system CAs do not know it either)', async () => {
    const client = createApiClient({
      baseUrl: `https://platform.test:${String(port)}`,
      connectTo: `127.0.0.1:${String(port)}`,
    });
    try {
      await assert.rejects(
        client.login(account, AbortSignal.timeout(5_000)),
        causedBy(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/),
      );
    } finally {
      await client.close();
    }
  });

  it('without PROBE_CONNECT_TO, resolves the public name itself (which does not resolve here)', async () => {
    const client = createApiClient({ baseUrl: `https://platform.test:${String(port)}`, caFile });
    try {
      await assert.rejects(client.login(account, AbortSignal.timeout(5_000)), causedBy(/ENOTFOUND|EAI_AGAIN/));
    } finally {
      await client.close();
    }
  });

  it('after an HTTP/2 upload refused before its body was sent, still reaches the edge (new connections)', async () => {
    const client = createApiClient({
      baseUrl: `https://platform.test:${String(refusingPort)}`,
      caFile,
      connectTo: `127.0.0.1:${String(refusingPort)}`,
    });
    try {
      // Larger than Node's HTTP/2 session memory limit (10 MB): left queued on the session, it would refuse every
      // later stream with ENHANCE_YOUR_CALM.
      const large = new Blob([Buffer.alloc(12 * 1024 * 1024)], { type: 'image/png' });
      await assert.rejects(client.upload('a-token', large, AbortSignal.timeout(5_000)));
      for (let call = 0; call < 3; call += 1)
        assert.equal(await client.login(account, AbortSignal.timeout(5_000)), 'a-token');
    } finally {
      await client.close();
    }
  });
});
