import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { ApiConfig } from '../config.ts';
import { createUpstream, type Upstream } from './upstream.ts';
import { expectJson } from './upstream-answers.ts';

const accountSchema = z.object({ id: z.uuid(), username: z.string() });
const issuedTokenSchema = z.object({ token: z.string(), expiresIn: z.number().int() });

export type Account = z.infer<typeof accountSchema>;
export type IssuedToken = z.infer<typeof issuedTokenSchema>;

/** Who is calling: the request id to pass on, and the client's address as this gateway determined it. */
export interface AuthCaller {
  requestId: string;
  /** req.ip, under the gateway's TRUST_PROXY setting. */
  clientAddress: string;
}

/**
 * The gateway's client of the auth service. Credentials are forwarded as the caller sent them:
 * checking them is the auth service's job, and its problems (400, 401, 409, 429) reach the caller
 * as UpstreamErrors. The client's address goes along as the only X-Forwarded-For entry (whatever the
 * client sent is not passed on): auth's login and registration limits count per client address, and
 * auth trusts this one hop.
 */
export interface AuthClient {
  register: (credentials: unknown, caller: AuthCaller) => Promise<Account>;
  login: (credentials: unknown, caller: AuthCaller) => Promise<IssuedToken>;
  close: Upstream['close'];
}

export function createAuthClient(config: ApiConfig, dispatcher?: Dispatcher): AuthClient {
  const upstream = createUpstream('auth', config.AUTH_URL, config, dispatcher);
  const submit = (path: '/register' | '/login', credentials: unknown, caller: AuthCaller) =>
    upstream.request({
      method: 'POST',
      path,
      headers: {
        'content-type': 'application/json',
        'x-request-id': caller.requestId,
        'x-forwarded-for': caller.clientAddress,
      },
      body: JSON.stringify(credentials),
    });
  return {
    register: async (credentials, caller) =>
      expectJson('auth', await submit('/register', credentials, caller), 201, accountSchema),
    login: async (credentials, caller) =>
      expectJson('auth', await submit('/login', credentials, caller), 200, issuedTokenSchema),
    close: upstream.close,
  };
}
