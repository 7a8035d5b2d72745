import { generateKeyPairSync, sign } from 'node:crypto';
import { startService } from '@platform/runtime';
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher } from 'undici';
import { loadApiConfig } from '../../src/config.ts';
import { createApiService } from '../../src/service.ts';

/** The upstreams exist only as undici MockAgent interceptors under these origins. */
export const authOrigin = 'http://auth.test';
export const imageOrigin = 'http://image.test';
export const publicBaseUrl = 'https://api.example.test';

export interface Gateway {
  /** Where the gateway under test listens. */
  url: string;
  /** Answers for the auth and image services; any call left unmocked fails. */
  upstreams: MockAgent;
  /** A real ES256 bearer token, verified by the gateway against the mocked auth service's key set. */
  tokenFor: (userId: string) => string;
  /** Mocked answers no call has used yet (the key set, always on hand, aside). */
  unusedAnswers: () => string[];
  stop: () => Promise<void>;
}

const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const kid = 'component-test-key';
const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');

function tokenFor(userId: string): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: userId, username: 'alice', iss: 'platform-auth', aud: 'platform', iat: now, exp: now + 300 };
  const signed = `${encode({ alg: 'ES256', typ: 'JWT', kid })}.${encode(claims)}`;
  const signature = sign('sha256', Buffer.from(signed), { key: keys.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signed}.${signature.toString('base64url')}`;
}

export interface GatewayOptions {
  /** Settings on top of the defaults below, e.g. IMAGE_URL of a real local server. */
  env?: Record<string, string>;
  /** The gateway's own undici pools carry its upstream calls (to a real server) instead of the MockAgent. */
  realUpstreams?: boolean;
}

/**
 * Starts the real gateway in this process on an ephemeral port. Its upstream calls go to a
 * MockAgent with the network cut off; the key set is fetched with the global fetch, so the
 * MockAgent is made the global dispatcher too, with only the gateway's own address let through
 * (the tests' requests to it, made with undici's fetch: the same undici as the MockAgent's).
 */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const upstreams = new MockAgent();
  upstreams.disableNetConnect();
  const previousDispatcher = getGlobalDispatcher();
  setGlobalDispatcher(upstreams);
  const jwk = { ...keys.publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
  const keySet = upstreams.get(authOrigin).intercept({ method: 'GET', path: '/.well-known/jwks.json' });
  keySet.reply(200, { keys: [jwk] }).persist();

  const config = loadApiConfig({
    PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
    SHUTDOWN_GRACE_MS: '1000',
    AUTH_URL: authOrigin,
    IMAGE_URL: imageOrigin,
    JWKS_URL: `${authOrigin}/.well-known/jwks.json`,
    PUBLIC_BASE_URL: publicBaseUrl,
    ...options.env,
  });
  const serviceOptions = options.realUpstreams === true ? {} : { upstreamDispatcher: upstreams };
  const gateway = await startService(await createApiService(config, serviceOptions));
  upstreams.enableNetConnect(new URL(gateway.url).host);
  return {
    url: gateway.url,
    upstreams,
    tokenFor,
    unusedAnswers: () =>
      upstreams
        .pendingInterceptors()
        .filter((interceptor) => !interceptor.persist)
        .map(({ method, origin, path }) => `${String(method)} ${origin}${String(path)}`),
    stop: async () => {
      await gateway.stop();
      await upstreams.close();
      setGlobalDispatcher(previousDispatcher);
    },
  };
}

/** An RFC 9457 problem as the platform's services answer it. */
export const problem = (status: number, slug: string, title: string, detail: string) => ({
  type: `https://platform.example/problems/${slug}`,
  title,
  status,
  detail,
});

export const json = { 'content-type': 'application/json; charset=utf-8' };
export const problemJson = { 'content-type': 'application/problem+json; charset=utf-8' };
