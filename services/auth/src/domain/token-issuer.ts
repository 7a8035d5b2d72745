import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { ConfigError, tokenAlgorithm } from '@platform/runtime';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';

export interface TokenIssuerOptions {
  /** PKCS#8 PEM of a P-256 private key. */
  signingKeyPem: string;
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
  const publicJwk = await exportJWK(createPublicKey(privateKey));
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    keySet: { keys: [{ ...publicJwk, kid, alg: tokenAlgorithm, use: 'sig' }] },
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

function readSigningKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new ConfigError(`Invalid configuration: JWT_SIGNING_KEY is not a readable private key (${(error as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError('Invalid configuration: JWT_SIGNING_KEY must be an EC P-256 key (ES256)');
  }
  return key;
}
