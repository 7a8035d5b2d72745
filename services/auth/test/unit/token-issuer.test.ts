import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError } from '@platform/runtime';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createTokenIssuer } from '../../src/domain/token-issuer.ts';

const pem = (curve: string) => generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const options = { issuer: 'platform-auth', audience: 'platform', ttlSeconds: 900 };

describe('token issuer', () => {
  it('signs ES256 tokens that verify against its own key set, with sub, username, iss, aud and a short exp', async () => {
    const issuer = await createTokenIssuer({ ...options, signingKeyPem: pem('P-256') });
    const { token, expiresIn } = await issuer.issue({ id: 'user-id', username: 'alice' });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(issuer.keySet), { issuer: options.issuer, audience: options.audience, algorithms: ['ES256'] });
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

  it('refuses keys that are not P-256', async () => {
    await assert.rejects(createTokenIssuer({ ...options, signingKeyPem: pem('secp384r1') }), ConfigError);
    await assert.rejects(createTokenIssuer({ ...options, signingKeyPem: 'not a key' }), ConfigError);
  });
});
