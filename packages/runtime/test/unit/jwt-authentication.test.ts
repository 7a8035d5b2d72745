import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
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

/** Runs the middleware on a bare request and reports what it decided. */
function authenticate(
  authorization: string | undefined,
  url = jwksUrl,
): Promise<{ user?: Express.User; error?: AppError }> {
  const requireUser = createJwtAuthentication({
    ...claims,
    JWKS_URL: url,
    JWKS_TIMEOUT_MS: 500,
    JWKS_CACHE_MS: 60_000,
  });
  const req = { headers: authorization === undefined ? {} : { authorization } } as unknown as Request;
  return new Promise((resolve) => {
    requireUser(req, {} as unknown as Response, (error?: unknown) => {
      resolve(error === undefined ? { user: req.user as Express.User } : { error: error as AppError });
    });
  });
}

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

  it('answers 503, not 401, when the key set cannot be fetched', async () => {
    const { error } = await authenticate(`Bearer ${await sign()}`, 'http://127.0.0.1:9/jwks.json');
    assert.equal(error?.status, 503);
  });
});
