import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { Agent, FormData, fetch } from 'undici';
import { uniqueUsername } from '../support/accounts.ts';
import { runningStack } from '../support/stack.ts';

const image = readFileSync(new URL('../fixtures/image.png', import.meta.url));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

test('the walk-through works through the TLS ingress, over HTTP/2, trusting only the local CA', async () => {
  const { ingress, services } = runningStack();
  expect(ingress, 'the stack runs no ingress: install nginx with scripts/tools/install.sh').not.toBeNull();
  if (ingress === null) return;
  const dispatcher = new Agent({ connect: { ca: readFileSync(ingress.caCertificate) }, allowH2: true });
  const call = (path: string, init: Parameters<typeof fetch>[1] = {}) => fetch(`${ingress.url}${path}`, { ...init, dispatcher });

  const credentials = JSON.stringify({ username: uniqueUsername('tls'), password: 'password123' });
  expect((await call('/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: credentials })).status).toBe(201);
  const { token } = (await (await call('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: credentials })).json()) as { token: string };

  const form = new FormData();
  form.append('file', new Blob([image], { type: 'image/png' }), 'image.png');
  const upload = await call('/upload', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  expect(upload.status).toBe(201);
  const { filename, url } = (await upload.json()) as { filename: string; url: string };
  expect(url).toBe(`${services.api.env['PUBLIC_BASE_URL']}/images/${filename}`); // from PUBLIC_BASE_URL, not the Host header

  const download = await call(`/images/${filename}`, { headers: { authorization: `Bearer ${token}` } });
  expect(download.status).toBe(200);
  expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(image));

  const problem = await call('/missing');
  expect(problem.status).toBe(404);
  expect(problem.headers.get('content-type')).toContain('application/problem+json');

  await expect(fetch(`${ingress.url}/healthz`)).rejects.toThrow(); // the default trust store does not know the local CA
  await dispatcher.close();
});
