import { expect, test } from '@playwright/test';
import { ApiClient, fixtureUpload, type Account, type SendOptions } from '@platform/test-client';
import type { RunningStack } from '../../scripts/local-stack/stack.ts';
import { answerOf, call, startFaultStack, within, type Answer } from './support.ts';

// Real dependencies stopped and started under a running stack. While one is down, every call that
// needs it answers a 503 problem quickly (no hang) and the services' readiness says so; once it is
// back, everything recovers by itself within 5 s, without restarting a service.

const answersWithinMs = 10_000;
const recoversWithinMs = 5_000;

let stack: RunningStack;
let client: ApiClient;
let account: Account;

test.beforeAll(async () => {
  stack = await startFaultStack('.dev/faults-dependencies');
  client = new ApiClient({ baseUrl: stack.description.services.api.url });
  account = await client.newAccount('faults');
});
test.afterAll(async () => {
  await stack.stop();
});

const authorized = () => ({ authorization: `Bearer ${account.token}` });
const answer = async (method: string, path: string, options: SendOptions) =>
  answerOf(await client.send(method, path, { ...options, signal: AbortSignal.timeout(answersWithinMs) }));
const upload = () => answer('POST', '/upload', { token: account.token, multipart: fixtureUpload });
const listImages = () => answer('GET', '/images', { token: account.token });
const loginAgain = () => answer('POST', '/login', { json: { username: account.username, password: account.password } });
const readiness = (service: 'api' | 'auth' | 'image') =>
  call(stack.description.services[service].ready, {}, answersWithinMs);

function expectUnavailable(answer: Answer, what: string) {
  expect(answer.status, `${what}: ${JSON.stringify(answer.body)}`).toBe(503);
  expect(answer.headers.get('content-type')).toContain('application/problem+json');
  expect(answer.headers.get('retry-after')).toBe('1');
  expect(answer.body).toMatchObject({ status: 503, title: 'Service unavailable' });
}

test('PostgreSQL down: auth and image answer 503 fast, readiness turns false, all recovers within 5 s', async () => {
  await stack.postgres?.stop();
  try {
    expectUnavailable(await loginAgain(), 'login');
    expectUnavailable(await listImages(), 'list');
    expectUnavailable(await upload(), 'upload');
    expect((await readiness('auth')).status).toBe(503);
    expect((await readiness('image')).status).toBe(503);
    // The gateway stays in the load balancer: it answers these 503s itself, as problems.
    expect((await readiness('api')).status).toBe(200);
  } finally {
    await stack.postgres?.start();
  }
  const recoveredMs = await within(
    'recovery after PostgreSQL returned',
    recoversWithinMs,
    async () => (await listImages()).status === 200 && (await loginAgain()).status === 200,
  );
  console.log(`PostgreSQL: recovered ${Math.round(recoveredMs)} ms after it was back`);
  expect((await upload()).status).toBe(201);
});

test('S3 down: uploads and downloads answer 503 fast, image readiness turns false, all recovers within 5 s', async () => {
  const stored = await upload();
  expect(stored.status).toBe(201);
  const imageUrl = String(stored.body['url']);
  await stack.objectStore.stop();
  try {
    expectUnavailable(await upload(), 'upload');
    expectUnavailable(await call(imageUrl, { headers: authorized() }, answersWithinMs), 'download');
    expect((await readiness('image')).status).toBe(503);
    expect((await listImages()).status).toBe(200); // metadata needs no S3
  } finally {
    await stack.objectStore.start();
  }
  const recoveredMs = await within(
    'recovery after S3 returned',
    recoversWithinMs,
    async () => (await upload()).status === 201,
  );
  console.log(`S3: recovered ${Math.round(recoveredMs)} ms after it was back`);
  expect((await call(imageUrl, { headers: authorized() })).status).toBe(200);
});

test('the image service down: the API answers 503 problems for image calls and recovers when it returns', async () => {
  expect(await stack.stopService('image')).toBe(0);
  try {
    expectUnavailable(await upload(), 'upload');
    expectUnavailable(await listImages(), 'list');
  } finally {
    await stack.startService('image');
  }
  await within(
    'recovery after the image service returned',
    recoversWithinMs,
    async () => (await listImages()).status === 200,
  );
});

test('the auth service down: logins answer 503, known tokens keep working from the cached key set', async () => {
  expect((await listImages()).status).toBe(200); // both verifiers (api, image) have the key cached
  expect(await stack.stopService('auth')).toBe(0);
  try {
    expectUnavailable(await loginAgain(), 'login');
    expect((await listImages()).status).toBe(200);
  } finally {
    await stack.startService('auth');
  }
  await within(
    'recovery after the auth service returned',
    recoversWithinMs,
    async () => (await loginAgain()).status === 200,
  );
});
