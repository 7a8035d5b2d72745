import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from '@playwright/test';
import { ApiClient } from '@platform/test-client';
import { apiClient, runningStack } from '../support/stack.ts';

const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');

/** A well-formed ES256 token under a made-up kid: what anyone can send without an account. */
function madeUpKidToken(): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    sub: randomUUID(),
    username: 'nobody',
    iss: 'platform-auth',
    aud: 'platform',
    iat: now,
    exp: now + 300,
  };
  return `${encode({ alg: 'ES256', typ: 'JWT', kid: randomUUID() })}.${encode(claims)}.${randomBytes(64).toString('base64url')}`;
}

test('a flood of tokens with made-up kids locks no one out: a real user signing in afterwards is served', async () => {
  const api = apiClient();
  // One attacker, one token after another, in a few parallel streams: far past jwks-rsa's 30 fetches a minute.
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      for (let i = 0; i < 50; i += 1) {
        const response = await api.send('GET', '/images', { headers: { authorization: `Bearer ${madeUpKidToken()}` } });
        statuses.push(response.status);
        await response.body?.cancel();
      }
    }),
  );
  expect(new Set(statuses)).toEqual(new Set([401]));

  const { token } = await api.newAccount('after-kid-flood');
  expect((await api.send('GET', '/images', { token })).status).toBe(200);
  await api.close();
});

test('a client cannot pick its own address with X-Forwarded-For through the ingress', async () => {
  const { ingress, services } = runningStack();
  expect(ingress, 'the stack runs no ingress: install nginx with scripts/tools/install.sh').not.toBeNull();
  if (ingress === null) return;
  const client = new ApiClient({ baseUrl: ingress.url, ca: readFileSync(ingress.caCertificate) });
  const path = `/spoofed-xff-${randomBytes(6).toString('hex')}`;
  const spoofed = '203.0.113.7';

  const response = await client.send('GET', path, { headers: { 'x-forwarded-for': spoofed } });
  expect(response.status).toBe(404);
  await response.body?.cancel();
  await client.close();

  // The gateway's request log names the client as the trusted hops report it: the address nginx saw.
  let line: { req?: { client?: string } } | undefined;
  for (let attempt = 0; attempt < 20 && line === undefined; attempt += 1) {
    await sleep(100); // the log lines are flushed asynchronously
    line = readFileSync(services.api.log, 'utf8')
      .split('\n')
      .filter((text) => text.includes(path))
      .map((text) => JSON.parse(text) as { req?: { client?: string } })[0];
  }
  expect(line?.req?.client).not.toBe(spoofed);
  expect(line?.req?.client).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
});
