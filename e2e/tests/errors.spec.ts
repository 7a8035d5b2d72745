import { expect, test } from '@playwright/test';
import { fixtureImage, uniqueUsername } from '@platform/test-client';
import { expectContract } from '../support/contract.ts';
import { apiClient } from '../support/stack.ts';

test('registering a taken username answers 409, whatever its case or width', async ({ request }) => {
  const username = uniqueUsername();
  expect((await request.post('/register', { data: { username, password: 'password123' } })).status()).toBe(201);
  for (const lookAlike of [
    username,
    username.toUpperCase(),
    username.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)),
  ]) {
    const again = await request.post('/register', { data: { username: lookAlike, password: 'password123' } });
    expect(again.status(), lookAlike).toBe(409);
    await expectContract(again, 'post', '/register');
  }
});

test('invalid registrations answer 400 naming the field', async ({ request }) => {
  const response = await request.post('/register', { data: { username: 'x', password: 'short' } });
  expect(response.status()).toBe(400);
  await expectContract(response, 'post', '/register');
  const fields = ((await response.json()) as { errors: Array<{ field: string }> }).errors.map((error) => error.field);
  expect(fields.sort()).toEqual(['password', 'username']);
});

test('a bad login answers 401 with the same body for an unknown user and a wrong password', async ({ request }) => {
  const { username } = await apiClient().newAccount();
  const wrongPassword = await request.post('/login', { data: { username, password: 'not the password' } });
  const unknownUser = await request.post('/login', {
    data: { username: uniqueUsername('ghost'), password: 'whatever123' },
  });
  expect(wrongPassword.status()).toBe(401);
  expect(unknownUser.status()).toBe(401);
  await expectContract(wrongPassword, 'post', '/login');
  expect(await unknownUser.json()).toEqual(await wrongPassword.json());
});

test('requests without a valid token answer 401', async ({ request }) => {
  const attempts: Array<Record<string, string>> = [
    {},
    { Authorization: 'Bearer not-a-token' },
    { Authorization: 'Basic dXNlcjpwYXNz' },
  ];
  for (const headers of attempts) {
    const response = await request.post('/upload', {
      headers,
      multipart: { file: { name: 'image.png', mimeType: 'image/png', buffer: fixtureImage } },
    });
    expect(response.status()).toBe(401);
    expect(response.headers()['www-authenticate']).toBe('Bearer');
    await expectContract(response, 'post', '/upload');
  }
  expect((await request.get('/images', { headers: {} })).status()).toBe(401);
});

test("another user's image answers 404, exactly like a missing one", async ({ request }) => {
  const client = apiClient();
  const owner = await client.newAccount('owner');
  const intruder = await client.newAccount('intruder');
  const { filename } = await client.upload(owner.token);

  const theirs = await request.get(`/images/${filename}`, { headers: { Authorization: `Bearer ${intruder.token}` } });
  const missing = await request.get(`/images/${filename.replace(/^[0-9a-f]{8}/, '00000000')}`, {
    headers: { Authorization: `Bearer ${intruder.token}` },
  });
  expect(theirs.status()).toBe(404);
  expect(await theirs.json()).toEqual(await missing.json());
  expect(
    (await request.delete(`/images/${filename}`, { headers: { Authorization: `Bearer ${intruder.token}` } })).status(),
  ).toBe(404);
  const list = (await (
    await request.get('/images', { headers: { Authorization: `Bearer ${intruder.token}` } })
  ).json()) as { images: unknown[] };
  expect(list.images).toEqual([]);
  expect(
    (await request.get(`/images/${filename}`, { headers: { Authorization: `Bearer ${owner.token}` } })).status(),
  ).toBe(200);
});

test('unknown routes answer 404 problem+json, never HTML', async ({ request }) => {
  const response = await request.get('/no/such/route');
  expect(response.status()).toBe(404);
  expect(response.headers()['content-type']).toContain('application/problem+json');
  expect(await response.json()).toMatchObject({ status: 404, title: 'Not found' });
});

test('malformed JSON answers 400 and a non-JSON body 415', async ({ request }) => {
  const malformed = await request.post('/login', {
    headers: { 'Content-Type': 'application/json' },
    data: '{"username": ',
  });
  expect(malformed.status()).toBe(400);
  await expectContract(malformed, 'post', '/login');
  const form = await request.post('/login', { form: { username: 'a', password: 'b' } });
  expect(form.status()).toBe(415);
  await expectContract(form, 'post', '/login');
});

test('a file that is not an image answers 415, whatever its name', async ({ request }) => {
  const { token } = await apiClient().newAccount();
  const response = await request.post('/upload', {
    headers: { Authorization: `Bearer ${token}` },
    multipart: { file: { name: 'image.png', mimeType: 'image/png', buffer: Buffer.from('<script>alert(1)</script>') } },
  });
  expect(response.status()).toBe(415);
  await expectContract(response, 'post', '/upload');
});

test('health endpoints answer and the OpenAPI document is served', async ({ request }) => {
  expect((await request.get('/healthz')).status()).toBe(200);
  const ready = await request.get('/readyz');
  expect(ready.status()).toBe(200);
  await expectContract(ready, 'get', '/readyz');
  const openapi = await request.get('/openapi.json');
  expect(((await openapi.json()) as { openapi: string }).openapi).toBe('3.1.0');
});
