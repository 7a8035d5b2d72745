import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { ApiConfig } from '../config.ts';
import { createUpstream, type Upstream } from './upstream.ts';
import { expectJson } from './upstream-answers.ts';

const accountSchema = z.object({ id: z.uuid(), username: z.string() });
const issuedTokenSchema = z.object({ token: z.string(), expiresIn: z.number().int() });

export type Account = z.infer<typeof accountSchema>;
export type IssuedToken = z.infer<typeof issuedTokenSchema>;

/**
 * The gateway's client of the auth service. Credentials are forwarded as the caller sent them:
 * checking them is the auth service's job, and its problems (400, 401, 409, 429) reach the caller
 * as UpstreamErrors.
 */
export interface AuthClient {
  register: (credentials: unknown, requestId: string) => Promise<Account>;
  login: (credentials: unknown, requestId: string) => Promise<IssuedToken>;
  close: Upstream['close'];
}

export function createAuthClient(config: ApiConfig, dispatcher?: Dispatcher): AuthClient {
  const upstream = createUpstream('auth', config.AUTH_URL, config, dispatcher);
  const submit = (path: '/register' | '/login', credentials: unknown, requestId: string) =>
    upstream.request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify(credentials),
    });
  return {
    register: async (credentials, requestId) =>
      expectJson('auth', await submit('/register', credentials, requestId), 201, accountSchema),
    login: async (credentials, requestId) =>
      expectJson('auth', await submit('/login', credentials, requestId), 200, issuedTokenSchema),
    close: upstream.close,
  };
}
