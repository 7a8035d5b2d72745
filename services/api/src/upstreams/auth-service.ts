import type { ApiConfig } from '../config.ts';
import { createUpstream, type Upstream, type UpstreamResponse } from './upstream.ts';

export interface AuthService {
  /** Forwards a JSON credentials body to /register or /login; the reply is relayed as is. */
  submitCredentials: (endpoint: '/register' | '/login', credentials: unknown, requestId: string) => Promise<UpstreamResponse>;
  close: Upstream['close'];
}

export function createAuthService(config: ApiConfig): AuthService {
  const upstream = createUpstream('auth', config.AUTH_URL, config);
  return {
    submitCredentials: (path, credentials, requestId) =>
      upstream.request({
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify(credentials),
      }),
    close: upstream.close,
  };
}
