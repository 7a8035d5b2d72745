import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { ConfigError, tokenAlgorithm } from '@platform/runtime';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';

export interface TokenIssuerOptions {
  /** PKCS#8 PEM of a P-256 private key. */
  signingKeyPem: string;
  /**
   * PEM public keys published beside the signing key but never used to sign: the next key before a
   * rotation, so verifiers know it before the first token it signs, and the previous one after, so
   * tokens it signed stay valid until they expire.
   */
  verificationKeysPem?: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
}

export interface TokenIssuer {
  issue: (user: { id: string; username: string }) => Promise<IssuedToken>;
  /** The public key set verifiers fetch, each key named by its RFC 7638 thumbprint (`kid`). */
  keySet: { keys: JWK[] };
}

/** Signs short-lived ES256 access tokens and publishes the matching public key. */
export async function createTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const privateKey = readSigningKey(options.signingKeyPem);
  const signingJwk = await publishedJwk(createPublicKey(privateKey));
  const kid = signingJwk.kid as string;
  const otherJwks = await Promise.all(readVerificationKeys(options.verificationKeysPem ?? '').map(publishedJwk));
  const keys = [signingJwk, ...otherJwks.filter((jwk) => jwk.kid !== kid)];
  return {
    keySet: { keys: keys.filter((jwk, index) => keys.findIndex((other) => other.kid === jwk.kid) === index) },
    issue: async ({ id, username }) => ({
      token: await new SignJWT({ username })
        .setProtectedHeader({ alg: tokenAlgorithm, kid, typ: 'JWT' })
        .setSubject(id)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt()
        .setExpirationTime(`${options.ttlSeconds}s`)
        .sign(privateKey),
      expiresIn: options.ttlSeconds,
    }),
  };
}

/** A public key as the key set lists it, named by its RFC 7638 thumbprint. */
async function publishedJwk(publicKey: KeyObject): Promise<JWK> {
  const jwk = await exportJWK(publicKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: tokenAlgorithm, use: 'sig' };
}

function readVerificationKeys(pemBundle: string): KeyObject[] {
  const pems = pemBundle.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  if (pemBundle.trim() !== '' && pems.length === 0) {
    throw new ConfigError(
      'Invalid configuration: JWT_VERIFICATION_KEYS must hold PEM public keys (-----BEGIN PUBLIC KEY-----)',
    );
  }
  return pems.map((pem, index) => {
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (error) {
      throw new ConfigError(
        `Invalid configuration: key ${index + 1} of JWT_VERIFICATION_KEYS is not readable (${(error as Error).message})`,
      );
    }
    assertP256(key, `key ${index + 1} of JWT_VERIFICATION_KEYS`);
    return key;
  });
}

function assertP256(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError(`Invalid configuration: ${what} must be an EC P-256 key (ES256)`);
  }
}

function readSigningKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new ConfigError(
      `Invalid configuration: JWT_SIGNING_KEY is not a readable private key (${(error as Error).message})`,
    );
  }
  assertP256(key, 'JWT_SIGNING_KEY');
  return key;
}
