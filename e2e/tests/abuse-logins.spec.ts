import { readFileSync } from 'node:fs';
import { expect, test, type APIRequestContext, type APIResponse } from '@playwright/test';
import { ApiClient, uniqueUsername } from '@platform/test-client';
import { expectProblem, randomClientAddress } from '../support/hostile.ts';
import { apiClient, runningStack } from '../support/stack.ts';

// Well-formed abuse of login and registration against the running stack. The gateway trusts its
// loopback callers' X-Forwarded-For, so each test plays several clients by sending their addresses.
// The policy's numbers are auth's defaults (services/auth/src/config.ts) unless the stack sets them.

const authSetting = (name: string, fallback: number) => Number(runningStack().services.auth.env[name] ?? fallback);
const failuresPerPair = () => authSetting('LOGIN_FAILURES_PER_PAIR', 5);
const slowdownAfter = () => authSetting('LOGIN_SLOWDOWN_AFTER_FAILURES', 10);

const login = (request: APIRequestContext, client: string, credentials: { username: string; password: string }) =>
  request.post('/login', { headers: { 'X-Forwarded-For': client }, data: credentials });

async function expectRetryAfter(response: APIResponse): Promise<void> {
  await expectProblem(response, 429);
  expect(Number(response.headers()['retry-after'])).toBeGreaterThan(0);
}

test('strangers guessing a username from many clients slow it down but cannot lock its owner out', async ({
  request,
}) => {
  const victim = await apiClient().newAccount('victim');
  // Past the point where today's per-username limit refused everyone, each attacker under the pair limit.
  const guesses = slowdownAfter() + 2;
  const attackers = Array.from({ length: Math.ceil(guesses / (failuresPerPair() - 1)) }, randomClientAddress);
  for (let guess = 0; guess < guesses; guess += 1) {
    const attacker = attackers[guess % attackers.length] ?? '';
    await expectProblem(await login(request, attacker, { username: victim.username, password: `guess ${guess}` }), 401);
  }

  const owner = await login(request, randomClientAddress(), victim);

  expect(owner.status(), await owner.text()).toBe(200);
  expect(owner.headers()['cache-control']).toBe('no-store');
  expect(owner.headers()['pragma']).toBe('no-cache');
});

test('a client that keeps guessing one username is locked out of that pair with 429 and Retry-After', async ({
  request,
}) => {
  const victim = await apiClient().newAccount('victim');
  const attacker = randomClientAddress();
  for (let guess = 0; guess < failuresPerPair(); guess += 1) {
    await expectProblem(await login(request, attacker, { username: victim.username, password: `guess ${guess}` }), 401);
  }

  await expectRetryAfter(await login(request, attacker, { username: victim.username, password: 'one more guess' }));
  // Locked out means locked out: even the right password, from the attacker's client.
  await expectRetryAfter(await login(request, attacker, victim));
  // The same client may still try another username, and the owner still logs in from theirs.
  const other = await apiClient().newAccount('other');
  expect((await login(request, attacker, other)).status()).toBe(200);
  expect((await login(request, randomClientAddress(), victim)).status()).toBe(200);
});

test('a registration flood from one client gets 429 with Retry-After; another client still registers', async ({
  request,
}) => {
  const limit = authSetting('REGISTRATIONS_PER_CLIENT', 10);
  const flood = { 'X-Forwarded-For': randomClientAddress() };
  const username = uniqueUsername('flood');
  const register = (client: Record<string, string>, name = username) =>
    request.post('/register', { headers: client, data: { username: name, password: 'correct horse battery staple' } });
  // Every valid registration costs a hash, taken or not: the first creates the account, the rest are 409s.
  const statuses: number[] = [];
  for (let attempt = 0; attempt < limit; attempt += 1) statuses.push((await register(flood)).status());
  expect(statuses[0]).toBe(201);
  expect(new Set(statuses.slice(1))).toEqual(new Set(limit > 1 ? [409] : []));

  await expectRetryAfter(await register(flood, uniqueUsername('flood')));

  const other = await register({ 'X-Forwarded-For': randomClientAddress() }, uniqueUsername('other'));
  expect(other.status(), await other.text()).toBe(201);
  expect(other.headers()['cache-control']).toBe('no-store');
});

test('through the ingress, an X-Forwarded-For the client sends does not change which client it counts as', async () => {
  const { ingress } = runningStack();
  expect(ingress, 'the stack runs no ingress: install nginx with scripts/tools/install.sh').not.toBeNull();
  if (ingress === null) return;
  const client = new ApiClient({ baseUrl: ingress.url, ca: readFileSync(ingress.caCertificate) });
  const victim = await apiClient().newAccount('victim');
  try {
    // Each guess claims another address: if the edge passed them on, no pair would ever fill up.
    for (let guess = 0; guess < failuresPerPair(); guess += 1) {
      const response = await client.send('POST', '/login', {
        json: { username: victim.username, password: `guess ${guess}` },
        headers: { 'X-Forwarded-For': randomClientAddress() },
      });
      expect(response.status).toBe(401);
      await response.body?.cancel();
    }
    const refused = await client.send('POST', '/login', {
      json: { username: victim.username, password: 'one more guess' },
      headers: { 'X-Forwarded-For': randomClientAddress() },
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    await refused.body?.cancel();
  } finally {
    await client.close();
  }
});
