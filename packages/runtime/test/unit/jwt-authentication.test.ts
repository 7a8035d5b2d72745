import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it, mock } from 'node:test';
import type { Request, Response } from 'express';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { AppError } from '../../src/errors.ts';
import { createJwtAuthentication } from '../../src/jwt-authentication.ts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const claims = { JWT_ISSUER: 'platform-auth', JWT_AUDIENCE: 'platform' };
let kid: string;
let jwks: Server;
let jwksUrl: string;

before(async () => {
  const jwk = await exportJWK(publicKey);
  kid = await calculateJwkThumbprint(jwk);
  jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] }));
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => jwks.once('listening', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
});
after(() => {
  jwks.close();
});

interface TokenOverrides {
  header?: Record<string, unknown>;
  issuer?: string;
  audience?: string;
  /** null: no exp claim at all. */
  expiresIn?: string | null;
  subject?: string;
}

function sign(overrides: TokenOverrides = {}): Promise<string> {
  const jwt = new SignJWT({ username: 'alice' })
    .setProtectedHeader({ alg: 'ES256', kid, ...overrides.header })
    .setSubject(overrides.subject ?? '3b241101-e2bb-4255-8caf-4136c566a962')
    .setIssuer(overrides.issuer ?? claims.JWT_ISSUER)
    .setAudience(overrides.audience ?? claims.JWT_AUDIENCE)
    .setIssuedAt();
  return (overrides.expiresIn === null ? jwt : jwt.setExpirationTime(overrides.expiresIn ?? '5m')).sign(privateKey);
}

const bounds = {
  JWKS_TIMEOUT_MS: 500,
  JWKS_COOLDOWN_MS: 30_000,
  JWKS_CACHE_MS: 300_000,
  JWKS_STALE_MS: 3_600_000,
  TOKEN_CACHE_MS: 30_000,
};

type Verdict = { user?: Express.User; error?: AppError };

/** One verifier (its own key cache), run on bare requests: reports what it decided for each. */
function verifier(
  url = jwksUrl,
  overrides: Partial<typeof bounds> = {},
): (authorization: string | undefined) => Promise<Verdict> {
  const requireUser = createJwtAuthentication({ ...claims, ...bounds, ...overrides, JWKS_URL: url });
  return (authorization) => {
    const req = { headers: authorization === undefined ? {} : { authorization } } as unknown as Request;
    return new Promise((resolve) => {
      requireUser(req, {} as unknown as Response, (error?: unknown) => {
        resolve(error === undefined ? { user: req.user as Express.User } : { error: error as AppError });
      });
    });
  };
}

/** A fresh verifier's decision on one token. */
const authenticate = (authorization: string | undefined, url = jwksUrl): Promise<Verdict> =>
  verifier(url)(authorization);

const unsigned = (payload: object) =>
  `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

describe('JWT authentication', () => {
  it('accepts a valid ES256 token and exposes the user', async () => {
    const { user } = await authenticate(`Bearer ${await sign()}`);
    assert.deepEqual(user, { id: '3b241101-e2bb-4255-8caf-4136c566a962', username: 'alice' });
  });

  const rejected: Array<[string, () => Promise<string | undefined>]> = [
    ['no Authorization header', () => Promise.resolve(undefined)],
    ['an empty bearer', () => Promise.resolve('Bearer ')],
    ['the wrong scheme', async () => `Basic ${await sign()}`],
    ['a malformed token', () => Promise.resolve('Bearer not.a.jwt')],
    [
      'alg none',
      () =>
        Promise.resolve(
          `Bearer ${unsigned({ sub: 'x', username: 'alice', iss: claims.JWT_ISSUER, aud: claims.JWT_AUDIENCE })}`,
        ),
    ],
    ['an expired token', async () => `Bearer ${await sign({ expiresIn: '-1m' })}`],
    ['a token without exp', async () => `Bearer ${await sign({ expiresIn: null })}`],
    ['a token living longer than an hour', async () => `Bearer ${await sign({ expiresIn: '2h' })}`],
    ['the wrong issuer', async () => `Bearer ${await sign({ issuer: 'someone-else' })}`],
    ['the wrong audience', async () => `Bearer ${await sign({ audience: 'another-api' })}`],
    ['an unknown kid', async () => `Bearer ${await sign({ header: { kid: 'unknown-key' } })}`],
    [
      'HS256 signed with a guessed secret',
      async () =>
        `Bearer ${await new SignJWT({ username: 'alice' })
          .setProtectedHeader({ alg: 'HS256', kid })
          .setSubject('x')
          .setIssuer(claims.JWT_ISSUER)
          .setAudience(claims.JWT_AUDIENCE)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode('secret'))}`,
    ],
    [
      'tampered claims',
      async () => {
        const [header, payload, signature] = (await sign()).split('.') as [string, string, string];
        const forged = { ...(JSON.parse(Buffer.from(payload, 'base64url').toString()) as object), sub: 'someone-else' };
        return `Bearer ${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
      },
    ],
  ];
  for (const [name, token] of rejected) {
    it(`answers 401 with the same problem for ${name}`, async () => {
      const { error } = await authenticate(await token());
      assert.ok(error instanceof AppError);
      assert.equal(error.status, 401);
      assert.deepEqual(error.toProblem(), {
        type: 'https://platform.example/problems/unauthorized',
        title: 'Unauthorized',
        status: 401,
        detail: 'A valid bearer token is required.',
      });
    });
  }

  it('accepts a token it has verified before only as a bearer token', async () => {
    const verify = verifier();
    const token = await sign();
    assert.equal((await verify(`Bearer ${token}`)).error, undefined);
    assert.equal((await verify(`Bearer ${token}`)).error, undefined);
    assert.equal((await verify(`Basic ${token}`)).error?.status, 401);
    assert.equal((await verify(`Bearer ${token}x`)).error?.status, 401);
  });

  it('answers 503, not 401, when the key set cannot be fetched', async () => {
    const { error } = await authenticate(`Bearer ${await sign()}`, 'http://127.0.0.1:9/jwks.json');
    assert.equal(error?.status, 503);
  });
});

/** A key pair with its kid, as auth publishes it. */
async function signingKey() {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = await exportJWK(pair.publicKey);
  const keyId = await calculateJwkThumbprint(jwk);
  return {
    kid: keyId,
    published: { ...jwk, kid: keyId, alg: 'ES256', use: 'sig' },
    sign: (expiresIn = '5m') =>
      new SignJWT({ username: 'alice' })
        .setProtectedHeader({ alg: 'ES256', kid: keyId })
        .setSubject('3b241101-e2bb-4255-8caf-4136c566a962')
        .setIssuer(claims.JWT_ISSUER)
        .setAudience(claims.JWT_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(pair.privateKey),
  };
}

/** Every key set endpoint a test opened, closed after it even when it failed (an open server would hold the run). */
const endpoints: Server[] = [];
afterEach(() => {
  for (const server of endpoints.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** An auth service's key set that can be changed or taken down, counting the fetches it answers or refuses. */
async function keySetEndpoint() {
  const endpoint = { keys: [] as object[], up: true, fetches: 0, url: '' };
  const server = createServer((_req, res) => {
    endpoint.fetches += 1;
    if (!endpoint.up) {
      res.statusCode = 503;
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: endpoint.keys }));
  }).listen(0, '127.0.0.1');
  endpoints.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  endpoint.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  return endpoint;
}

/** A token with a made-up kid, as anyone can forge without an account. */
const madeUpKidToken = () => sign({ header: { kid: randomUUID() } });

/** Sends the tokens one after the other, as a single attacker would; answers each one's status. */
async function flood(verify: (authorization: string) => Promise<Verdict>, count: number): Promise<number[]> {
  const tokens = await Promise.all(Array.from({ length: count }, madeUpKidToken));
  const statuses: number[] = [];
  for (const token of tokens) statuses.push((await verify(`Bearer ${token}`)).error?.status ?? 200);
  return statuses;
}

describe('token keys under abuse', () => {
  it('a flood of made-up kids leaves a fresh verifier able to learn a newly rotated key', async () => {
    const endpoint = await keySetEndpoint();
    const [current, rotated] = [await signingKey(), await signingKey()];
    endpoint.keys = [current.published, rotated.published]; // rotation step 1: published before any token uses it
    const verify = verifier(endpoint.url);

    assert.deepEqual(new Set(await flood(verify, 500)), new Set([401]));
    const { user, error } = await verify(`Bearer ${await rotated.sign()}`);
    assert.equal(error, undefined);
    assert.equal(user?.username, 'alice');
  });
});

describe('token keys over time', () => {
  // Only Date is mocked: jose's cache ages and the tokens' iat/exp follow it; sockets and timeouts stay real.
  beforeEach(() => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
  });
  afterEach(() => {
    mock.timers.reset();
  });

  it('unknown kids refetch the key set at most once per cooldown', async () => {
    const endpoint = await keySetEndpoint();
    const current = await signingKey();
    endpoint.keys = [current.published];
    const verify = verifier(endpoint.url);
    assert.equal((await verify(`Bearer ${await current.sign()}`)).error, undefined);
    assert.equal(endpoint.fetches, 1);

    await flood(verify, 500);
    assert.equal(endpoint.fetches, 1, 'within the cooldown of the last fetch: none');
    mock.timers.tick(bounds.JWKS_COOLDOWN_MS + 1);
    await flood(verify, 500);
    assert.equal(endpoint.fetches, 2, 'past the cooldown: one for the whole flood');
    mock.timers.tick(bounds.JWKS_COOLDOWN_MS / 2);
    await flood(verify, 500);
    assert.equal(endpoint.fetches, 2);
    // Known keys never waited on any of it.
    assert.equal((await verify(`Bearer ${await current.sign()}`)).error, undefined);
  });

  it('known keys keep verifying while the key set cannot be fetched, for JWKS_STALE_MS past its max age', async () => {
    const endpoint = await keySetEndpoint();
    const current = await signingKey();
    endpoint.keys = [current.published];
    const verify = verifier(endpoint.url);
    assert.equal((await verify(`Bearer ${await current.sign()}`)).error, undefined);

    endpoint.up = false;
    mock.timers.tick(bounds.JWKS_CACHE_MS + 1); // stale: jose alone would refuse every token now
    assert.equal((await verify(`Bearer ${await current.sign()}`)).error, undefined);
    const attempts = endpoint.fetches;
    for (let i = 0; i < 20; i += 1) assert.equal((await verify(`Bearer ${await current.sign()}`)).error, undefined);
    assert.equal(endpoint.fetches, attempts, 'a failed fetch is not retried within the cooldown');

    mock.timers.tick(bounds.JWKS_STALE_MS); // past max age + stale: the copy is too old to trust
    assert.equal((await verify(`Bearer ${await current.sign()}`)).error?.status, 503);

    endpoint.up = true; // recovers by itself
    assert.equal((await verify(`Bearer ${await current.sign()}`)).error, undefined);
  });

  /** A verifier trusting two keys, one of which leaks: `withdraw` removes it from the set and lets the set age out. */
  async function leakingKeySet(overrides: Partial<typeof bounds> = {}) {
    const endpoint = await keySetEndpoint();
    const [kept, leaked] = [await signingKey(), await signingKey()];
    endpoint.keys = [kept.published, leaked.published];
    return {
      kept,
      leaked,
      verify: verifier(endpoint.url, overrides),
      withdraw: () => {
        endpoint.keys = [kept.published]; // the emergency withdrawal
        mock.timers.tick(bounds.JWKS_CACHE_MS + 1);
      },
    };
  }

  it('a kid withdrawn from the key set is refused once JWKS_CACHE_MS has passed', async () => {
    const { kept, leaked, verify, withdraw } = await leakingKeySet();
    assert.equal((await verify(`Bearer ${await leaked.sign()}`)).error, undefined);

    withdraw();
    assert.equal((await verify(`Bearer ${await leaked.sign()}`)).error?.status, 401);
    assert.equal((await verify(`Bearer ${await kept.sign()}`)).error, undefined);
  });

  it('a token verified within TOKEN_CACHE_MS is accepted again without a new verification, never past its exp', async () => {
    const { leaked, verify, withdraw } = await leakingKeySet({ TOKEN_CACHE_MS: 3_600_000 });
    const remembered = `Bearer ${await leaked.sign('10m')}`;
    assert.equal((await verify(remembered)).error, undefined);

    withdraw();
    assert.equal((await verify(`Bearer ${await leaked.sign('10m')}`)).error?.status, 401, 'the key is withdrawn');
    assert.equal((await verify(remembered)).error, undefined, 'verified before: not verified again');

    mock.timers.tick(5 * 60_000);
    assert.equal((await verify(remembered)).error?.status, 401, 'expired');
  });

  it('TOKEN_CACHE_MS 0 verifies every token every time', async () => {
    const { leaked, verify, withdraw } = await leakingKeySet({ TOKEN_CACHE_MS: 0 });
    const token = `Bearer ${await leaked.sign('10m')}`;
    assert.equal((await verify(token)).error, undefined);

    withdraw();
    assert.equal((await verify(token)).error?.status, 401);
  });
});
