import { createHash } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { fixtureImage, uniqueUsername } from '@platform/test-client';
import { expectContract } from '../support/contract.ts';
import { apiClient, runningStack } from '../support/stack.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

// The seed README's four calls, as the same requests: JSON register and login, a multipart upload
// of image.png in the field "file", and a download with the bearer token.
test('the seed walk-through: register, login, upload image.png, retrieve it byte for byte', async ({ request }) => {
  const credentials = { username: uniqueUsername('testuser'), password: 'password123' };

  const registered = await request.post('/register', {
    headers: { 'Content-Type': 'application/json' },
    data: credentials,
  });
  expect(registered.status()).toBe(201);
  await expectContract(registered, 'post', '/register');
  expect(await registered.json()).toMatchObject({ username: credentials.username });

  const login = await request.post('/login', { headers: { 'Content-Type': 'application/json' }, data: credentials });
  expect(login.status()).toBe(200);
  await expectContract(login, 'post', '/login');
  const { token } = (await login.json()) as { token: string };
  expect(token.split('.')).toHaveLength(3);

  const upload = await request.post('/upload', {
    headers: { Authorization: `Bearer ${token}` },
    multipart: { file: { name: 'image.png', mimeType: 'image/png', buffer: fixtureImage } },
  });
  expect(upload.status()).toBe(201);
  await expectContract(upload, 'post', '/upload');
  const receipt = (await upload.json()) as { message: string; filename: string; url: string };
  expect(receipt.message).toBe('Uploaded successfully');
  expect(receipt.filename).toMatch(/^[0-9a-f-]{36}_image\.png$/);
  expect(receipt.url).toBe(`${runningStack().services.api.env['PUBLIC_BASE_URL']}/images/${receipt.filename}`);

  const download = await request.get(receipt.url, { headers: { Authorization: `Bearer ${token}` } });
  expect(download.status()).toBe(200);
  await expectContract(download, 'get', '/images/{filename}');
  expect(download.headers()['content-type']).toBe('image/png');
  expect(download.headers()['content-length']).toBe(String(fixtureImage.length));
  expect(download.headers()['etag']).toMatch(/^"[^"]+"$/);
  expect(sha256(await download.body())).toBe(sha256(fixtureImage));
});

test('uploaded images can be listed, revalidated, read with HEAD and deleted', async ({ request }) => {
  const client = apiClient();
  const { token } = await client.newAccount();
  const auth = { Authorization: `Bearer ${token}` };
  const { filename } = await client.upload(token);

  const list = await request.get('/images', { headers: auth });
  expect(list.status()).toBe(200);
  await expectContract(list, 'get', '/images');
  expect(
    ((await list.json()) as { images: Array<{ filename: string }> }).images.map((entry) => entry.filename),
  ).toEqual([filename]);

  const head = await request.head(`/images/${filename}`, { headers: auth });
  expect(head.status()).toBe(200);
  expect(head.headers()['content-length']).toBe(String(fixtureImage.length));
  const etag = head.headers()['etag'] ?? '';
  expect((await request.get(`/images/${filename}`, { headers: { ...auth, 'If-None-Match': etag } })).status()).toBe(
    304,
  );

  const deleted = await request.delete(`/images/${filename}`, { headers: auth });
  expect(deleted.status()).toBe(204);
  const gone = await request.get(`/images/${filename}`, { headers: auth });
  expect(gone.status()).toBe(404);
  await expectContract(gone, 'get', '/images/{filename}');
});
