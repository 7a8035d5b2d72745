import { createPublicKey, type KeyObject } from 'node:crypto';
import type { RequestHandler } from 'express';
import { decodeProtectedHeader } from 'jose';
import jwksRsa from 'jwks-rsa';
import { Passport } from 'passport';
import { ExtractJwt, Strategy as JwtStrategy, type SecretOrKeyProvider } from 'passport-jwt';
import { z } from 'zod';
import { configFields } from './config.ts';
import { serviceUnavailable, unauthorized } from './errors.ts';
import { platformMetrics } from './telemetry/metrics.ts';

/** The caller, as proven by a verified token. */
export interface AuthenticatedUser {
  id: string;
  username: string;
}

declare global {
  // Passport types req.user as Express.User; this is what it holds here.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface User {
      id: string;
      username: string;
    }
  }
}

/** The one signing algorithm accepted; anything else (none, HS256, RS256...) is rejected. */
export const tokenAlgorithm = 'ES256';

/** The longest token lifetime (exp - iat) a verifier accepts; the issuer's TTL is capped to it. */
export const maxTokenLifetimeSeconds = 3_600;

/** The claims every token carries and every verifier checks; shared by issuer and verifiers. */
export const tokenClaimsConfigSchema = z.object({
  JWT_ISSUER: configFields.nonEmpty().default('platform-auth'),
  JWT_AUDIENCE: configFields.nonEmpty().default('platform'),
});

/** Configuration of a service that verifies tokens. */
export const jwtVerificationConfigSchema = tokenClaimsConfigSchema.extend({
  /** Where the auth service publishes its public keys. */
  JWKS_URL: configFields.httpUrl(),
  /** Time limit for fetching the key set. */
  JWKS_TIMEOUT_MS: configFields.milliseconds(2_000),
  /** How long a fetched key is trusted before it is fetched again. */
  JWKS_CACHE_MS: configFields.milliseconds(600_000),
});

export type JwtVerificationConfig = z.infer<typeof jwtVerificationConfigSchema>;

/** Key-set fetch failures caused by the auth service being unreachable, not by the token. */
class KeySetUnavailableError extends Error {
  override name = 'KeySetUnavailableError';
}

/**
 * Bearer-token authentication with keys from the auth service's JWKS, cached by `kid`: no network
 * hop per request, and a new `kid` (key rotation) is fetched once when first seen. Algorithm,
 * issuer, audience and expiry are all checked.
 */
/** Returns middleware that sets req.user from a valid bearer token, or answers 401 (503 if keys cannot be fetched). */
export function createJwtAuthentication(config: JwtVerificationConfig): RequestHandler {
  const { jwksFetches, tokenRejections } = platformMetrics();
  const keySet = jwksRsa({
    jwksUri: config.JWKS_URL,
    fetcher: async (uri) => {
      try {
        const response = await fetch(uri, { signal: AbortSignal.timeout(config.JWKS_TIMEOUT_MS) });
        if (!response.ok) throw new Error(`the key set answered ${response.status}`);
        const body = (await response.json()) as { keys: unknown };
        jwksFetches.add(1, { outcome: 'success' });
        return body;
      } catch (error) {
        jwksFetches.add(1, { outcome: 'failure' });
        throw error;
      }
    },
    cache: true,
    cacheMaxAge: config.JWKS_CACHE_MS,
    // Keep verifying with known keys through a short auth-service outage.
    cacheMaxAgeFallback: config.JWKS_CACHE_MS,
    // Tokens with made-up kids must not turn into a flood of key-set fetches.
    rateLimit: true,
    jwksRequestsPerMinute: 30,
  });

  // jsonwebtoken turns a PEM into a KeyObject on every verification (about 0.15 ms here); the
  // KeyObject of each key the set has served is kept instead. A KeyObject is what it accepts best,
  // though passport-jwt's types only name strings and buffers.
  const keyObjects = new Map<string, KeyObject>();
  const keyObjectOf = (pem: string): KeyObject => {
    let keyObject = keyObjects.get(pem);
    if (keyObject === undefined) {
      keyObject = createPublicKey(pem);
      keyObjects.set(pem, keyObject);
    }
    return keyObject;
  };

  const keyProvider: SecretOrKeyProvider = (_req, rawToken, done) => {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(String(rawToken)).kid;
    } catch (error) {
      done(error);
      return;
    }
    if (typeof kid !== 'string') {
      done(new Error('token has no kid'));
      return;
    }
    keySet.getSigningKey(kid).then(
      (key) => {
        done(null, keyObjectOf(key.getPublicKey()) as unknown as string);
      },
      (error: unknown) => {
        const unavailable = (error as { isEndpointUnavailable?: boolean }).isEndpointUnavailable === true;
        done(unavailable ? new KeySetUnavailableError('the key set cannot be fetched', { cause: error }) : error);
      },
    );
  };

  const passport = new Passport();
  passport.use(
    'jwt',
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKeyProvider: keyProvider,
        algorithms: [tokenAlgorithm],
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
      },
      (
        payload: { sub?: unknown; username?: unknown; iat?: unknown; exp?: unknown },
        done: (error: null, user: AuthenticatedUser | false) => void,
      ) => {
        const { sub, username, iat, exp } = payload;
        // jsonwebtoken checks exp only when present: a token must carry one, and a short one.
        const shortLived = typeof iat === 'number' && typeof exp === 'number' && exp - iat <= maxTokenLifetimeSeconds;
        done(
          null,
          shortLived && typeof sub === 'string' && typeof username === 'string' ? { id: sub, username } : false,
        );
      },
    ),
  );

  return (req, res, next) => {
    const authenticate = passport.authenticate(
      'jwt',
      { session: false },
      (error: unknown, user: AuthenticatedUser | false, info: unknown) => {
        if (error !== null && error !== undefined) {
          next(error);
          return;
        }
        if (info instanceof KeySetUnavailableError) {
          tokenRejections.add(1, { reason: 'key_set_unavailable' });
          next(serviceUnavailable('Tokens cannot be verified right now.', info));
          return;
        }
        if (user === false) {
          tokenRejections.add(1, { reason: rejectionReason(info) });
          next(unauthorized());
          return;
        }
        req.user = user;
        next();
      },
    ) as RequestHandler;
    authenticate(req, res, next);
  };
}

/** Why passport-jwt refused a token, as one of a few fixed words (a metric label). */
function rejectionReason(info: unknown): string {
  if (!(info instanceof Error)) return 'invalid_claims';
  if (info.name === 'TokenExpiredError') return 'expired';
  if (info.name === 'SigningKeyNotFoundError') return 'unknown_kid';
  if (info.message === 'No auth token') return 'missing';
  if (/issuer/.test(info.message)) return 'issuer';
  if (/audience/.test(info.message)) return 'audience';
  if (/signature/.test(info.message)) return 'signature';
  if (/algorithm/.test(info.message)) return 'algorithm';
  return 'malformed';
}
