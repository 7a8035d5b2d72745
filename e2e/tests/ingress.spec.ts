import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { ApiClient, fixtureImage } from '@platform/test-client';
import { fetch } from 'undici';
import { runningStack } from '../support/stack.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

test('the walk-through works through the TLS ingress, over HTTP/2, trusting only the local CA', async () => {
  const { ingress, services } = runningStack();
  expect(ingress, 'the stack runs no ingress: install nginx with scripts/tools/install.sh').not.toBeNull();
  if (ingress === null) return;
  const client = new ApiClient({ baseUrl: ingress.url, ca: readFileSync(ingress.caCertificate) });

  const { token } = await client.newAccount('tls'); // throws unless registered (201) and logged in (200)
  const { filename, url } = await client.upload(token); // throws unless stored (201)
  expect(url).toBe(`${services.api.env['PUBLIC_BASE_URL']}/images/${filename}`); // from PUBLIC_BASE_URL, not the Host header

  const download = await client.download(token, filename); // throws unless 200
  expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(fixtureImage));

  const problem = await client.send('GET', '/missing');
  expect(problem.status).toBe(404);
  expect(problem.headers.get('content-type')).toContain('application/problem+json');

  await expect(fetch(`${ingress.url}/healthz`)).rejects.toThrow(); // the default trust store does not know the local CA
  await client.close();
});
