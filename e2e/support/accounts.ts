import { randomBytes } from 'node:crypto';
import { expect, type APIRequestContext } from '@playwright/test';

export const uniqueUsername = (prefix = 'user') => `${prefix}-${randomBytes(5).toString('hex')}`;

/** Registers a fresh user and logs in; returns the bearer token. */
export async function newUser(request: APIRequestContext, prefix?: string): Promise<{ username: string; password: string; token: string }> {
  const credentials = { username: uniqueUsername(prefix), password: 'correct horse battery staple' };
  expect((await request.post('/register', { data: credentials })).status()).toBe(201);
  const login = await request.post('/login', { data: credentials });
  expect(login.status()).toBe(200);
  const { token } = (await login.json()) as { token: string };
  return { ...credentials, token };
}
