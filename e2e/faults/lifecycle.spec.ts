import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { ApiClient, mebibyte } from '@platform/test-client';
import { decodeProtectedHeader } from 'jose';
import type { RunningStack } from '../../scripts/local-stack/stack.ts';
import { call, slowUpload, storedFor, startFaultStack, within } from './support.ts';

// Service lifecycle: a SIGTERM drains in-flight work before the process exits 0, and the signing
// key rotates by kid without a single valid token being refused.

let stack: RunningStack;
let client: ApiClient;

test.beforeAll(async () => {
  stack = await startFaultStack('.dev/faults-lifecycle');
  client = new ApiClient({ baseUrl: stack.description.services.api.url });
});
test.afterAll(async () => {
  await stack.stop();
});

for (const service of ['image', 'api'] as const) {
  test(`SIGTERM to ${service} during a large upload: not ready, no new connections, the upload completes, exit 0`, async () => {
    // A short delay before closing the listener, as in Kubernetes, so readiness is seen to turn.
    await stack.restartService(service, { SHUTDOWN_DELAY_MS: '1500' });
    const { token } = await client.newAccount(`drain-${service}`);
    const upload = slowUpload(client, token, { totalBytes: 32 * mebibyte });
    await within('the upload to be under way', 10_000, () => Promise.resolve(upload.sent() >= 4 * mebibyte));

    const exited = stack.stopService(service);
    const ready = stack.description.services[service].ready;
    await within('readiness to turn false', 1_000, async () => (await call(ready, {}, 500)).status === 503);
    await within('new connections to be refused', 5_000, async () => {
      try {
        await fetch(stack.description.services[service].health, { signal: AbortSignal.timeout(500) });
        return false;
      } catch {
        return true;
      }
    });
    expect(upload.sent()).toBeLessThan(32 * mebibyte); // still in flight when the listener closed

    const result = await upload.result;
    expect(result).toHaveProperty('status', 201);
    expect(await exited).toBe(0);
    const stored = await storedFor(stack, token);
    expect(stored.rows).toHaveLength(1);
    expect(stored.objects).toEqual(stored.rows);
    await stack.startService(service, { SHUTDOWN_DELAY_MS: '0' });
  });
}

test('the signing key rotates by kid: old and new tokens both work during the overlap, only new ones after', async () => {
  const account = await client.newAccount('rotation');
  const oldToken = account.token;
  const authEnv = stack.description.services.auth.env;
  const oldKeyFile = authEnv['JWT_SIGNING_KEY_FILE'] ?? '';
  const oldPublicKey = createPublicKey(createPrivateKey(readFileSync(oldKeyFile)))
    .export({ type: 'spki', format: 'pem' })
    .toString();
  const newKeyFile = join(stack.layout.keysDir, 'jwt-signing-key-next.pem');
  writeFileSync(
    newKeyFile,
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    { mode: 0o600 },
  );

  // Overlap: sign with the new key, keep publishing the old one.
  await stack.restartService('auth', { JWT_SIGNING_KEY_FILE: newKeyFile, JWT_VERIFICATION_KEYS: oldPublicKey });
  const keySet = (await call(`${stack.description.services.auth.url}/.well-known/jwks.json`)).body as {
    keys: Array<{ kid: string }>;
  };
  const newToken = await client.login(account);
  const oldKid = decodeProtectedHeader(oldToken).kid;
  const newKid = decodeProtectedHeader(newToken).kid;
  expect(newKid).not.toBe(oldKid);
  expect(keySet.keys.map((key) => key.kid).sort()).toEqual([oldKid, newKid].sort());
  const list = async (token: string) => (await client.send('GET', '/images', { token })).status;
  expect(await list(oldToken)).toBe(200); // verified with the cached old key
  // An unknown kid makes each verifier (api, then image) fetch the key set again, but at most once per
  // JWKS_COOLDOWN_MS (5 s): one that fetched it less than that ago (the test before) refuses the new token
  // until then. Without the refetch the cached set (JWKS_CACHE_MS, 5 min) would refuse it far longer.
  await expect.poll(() => list(newToken), { timeout: 8_000, intervals: [250] }).toBe(200);

  // After the overlap (longer than a token lives) the old key is withdrawn; a verifier whose cache
  // has expired (here: a restarted gateway) refuses its tokens.
  await stack.restartService('auth', { JWT_VERIFICATION_KEYS: '' });
  await stack.restartService('api');
  expect(await list(oldToken)).toBe(401);
  expect(await list(newToken)).toBe(200);
});
