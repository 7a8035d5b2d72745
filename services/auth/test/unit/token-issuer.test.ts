import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError } from '@platform/runtime';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createTokenIssuer } from '../../src/domain/token-issuer.ts';

const pem = (curve: string) =>
  generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const options = { issuer: 'platform-auth', audience: 'platform', ttlSeconds: 900 };

describe('token issuer', () => {
  it('signs ES256 tokens that verify against its own key set, with sub, username, iss, aud and a short exp', async () => {
    const issuer = await createTokenIssuer({ ...options, signingKeyPem: pem('P-256') });
    const { token, expiresIn } = await issuer.issue({ id: 'user-id', username: 'alice' });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(issuer.keySet), {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: ['ES256'],
    });
    assert.equal(protectedHeader.kid, issuer.keySet.keys[0]?.kid);
    assert.equal(payload.sub, 'user-id');
    assert.equal(payload['username'], 'alice');
    assert.equal(expiresIn, 900);
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 900);
  });

  it('publishes only public key material', async () => {
    const issuer = await createTokenIssuer({ ...options, signingKeyPem: pem('P-256') });
    assert.equal(issuer.keySet.keys[0]?.['d'], undefined);
  });

  it('publishes rotation keys beside the signing key, signs only with the signing key, and lists each key once', async () => {
    const previous = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const previousIssuer = await createTokenIssuer({
      ...options,
      signingKeyPem: previous.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    const oldToken = (await previousIssuer.issue({ id: 'user-id', username: 'alice' })).token;
    const previousPublicPem = previous.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const current = pem('P-256');
    const issuer = await createTokenIssuer({
      ...options,
      signingKeyPem: current,
      verificationKeysPem: `${previousPublicPem}\n${previousPublicPem}`,
    });
    const kids = issuer.keySet.keys.map((key) => key.kid);
    assert.equal(kids.length, 2);
    assert.equal(kids[1], previousIssuer.keySet.keys[0]?.kid);
    const keySet = createLocalJWKSet(issuer.keySet);
    const verify = (token: string) =>
      jwtVerify(token, keySet, { issuer: options.issuer, audience: options.audience, algorithms: ['ES256'] });
    assert.equal((await verify(oldToken)).protectedHeader.kid, kids[1]);
    const newToken = (await issuer.issue({ id: 'user-id', username: 'alice' })).token;
    assert.equal((await verify(newToken)).protectedHeader.kid, kids[0]);
  });

  it('refuses verification keys that are not P-256 public keys', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    await assert.rejects(
      createTokenIssuer({ ...options, signingKeyPem: pem('P-256'), verificationKeysPem: rsa }),
      ConfigError,
    );
    await assert.rejects(
      createTokenIssuer({ ...options, signingKeyPem: pem('P-256'), verificationKeysPem: 'not a key' }),
      ConfigError,
    );
  });

  it('refuses keys that are not P-256', async () => {
    await assert.rejects(createTokenIssuer({ ...options, signingKeyPem: pem('secp384r1') }), ConfigError);
    await assert.rejects(createTokenIssuer({ ...options, signingKeyPem: 'not a key' }), ConfigError);
  });
});
