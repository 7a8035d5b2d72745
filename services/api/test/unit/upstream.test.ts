import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@platform/runtime';
import { loadApiConfig } from '../../src/config.ts';
import { createUpstream } from '../../src/upstreams/upstream.ts';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A port that refuses connections now and, unless `delayMs` is null, answers 200 after it. */
async function serviceStartingIn(delayMs: number | null): Promise<{ url: string; requests: () => number }> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  let requests = 0;
  const server = createServer((_req, res) => {
    requests += 1;
    res.end('{}');
  });
  servers.push(server);
  if (delayMs !== null) void sleep(delayMs).then(() => server.listen(port, '127.0.0.1'));
  return { url: `http://127.0.0.1:${port}`, requests: () => requests };
}

const configFor = (url: string) =>
  loadApiConfig({ AUTH_URL: url, IMAGE_URL: url, JWKS_URL: `${url}/jwks`, UPSTREAM_READ_RETRIES: '2' });

describe('upstream retries', () => {
  it('retries a read that could not connect, and it succeeds once the service is up', async () => {
    const service = await serviceStartingIn(20);
    const upstream = createUpstream('image', service.url, configFor(service.url));
    const response = await upstream.request({ method: 'GET', path: '/images', headers: {} });
    assert.equal(response.status, 200);
    await response.body.dump();
    assert.equal(service.requests(), 1);
    await upstream.close();
  });

  it('never retries a write: it answers 503 at once', async () => {
    const service = await serviceStartingIn(20);
    const upstream = createUpstream('auth', service.url, configFor(service.url));
    await assert.rejects(
      upstream.request({ method: 'POST', path: '/login', headers: {}, body: '{}' }),
      (error: unknown) => error instanceof AppError && error.status === 503,
    );
    await sleep(50);
    assert.equal(service.requests(), 0);
    await upstream.close();
  });

  it('gives up after the configured retries with a 503', async () => {
    const service = await serviceStartingIn(null);
    const upstream = createUpstream('image', service.url, configFor(service.url));
    await assert.rejects(
      upstream.request({ method: 'GET', path: '/images', headers: {} }),
      (error: unknown) => error instanceof AppError && error.status === 503,
    );
    await upstream.close();
  });
});
