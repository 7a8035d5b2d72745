import type { Request, RequestHandler } from 'express';
import { decodeProtectedHeader } from 'jose';
import { Passport } from 'passport';
import { ExtractJwt, Strategy as JwtStrategy, type SecretOrKeyProvider } from 'passport-jwt';
import { z } from 'zod';
import { configFields } from './config.ts';
import { serviceUnavailable, unauthorized } from './errors.ts';
import { platformMetrics } from './telemetry/metrics.ts';
import { createTokenKeys, KeySetUnavailableError } from './token-keys.ts';
import { createVerifiedTokens } from './verified-tokens.ts';

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
  /**
   * How long a fetched key set is used before it is fetched again: a key withdrawn from the JWKS
   * (a leaked key) stops verifying within this bound.
   */
  JWKS_CACHE_MS: configFields.milliseconds(300_000),
  /**
   * An unknown kid refetches the key set at most once per this long, however many tokens carry one.
   * Short, as a fetch is cheap (a dozen a minute per verifier at most) and a key published within
   * this long after a fetch is refused until it ends (jose's default is 30 s).
   */
  JWKS_COOLDOWN_MS: configFields.milliseconds(5_000),
  /**
   * While the key set cannot be fetched, the last one fetched keeps verifying for this long past
   * JWKS_CACHE_MS. An hour, the longest token lifetime: auth being down then stops no token it issued.
   */
  JWKS_STALE_MS: configFields.milliseconds(3_600_000),
  /**
   * A token verified this recently is accepted again without verifying its signature (still never
   * past its exp): most requests come with a token seen seconds before. A withdrawn key stops
   * verifying within JWKS_CACHE_MS plus this. 0 verifies every request.
   */
  TOKEN_CACHE_MS: configFields.milliseconds(30_000),
});

export type JwtVerificationConfig = z.infer<typeof jwtVerificationConfigSchema>;

/** How many verified tokens a verifier remembers (about 600 bytes each), least recently used out first. */
const verifiedTokenEntries = 10_000;

/**
 * Bearer-token authentication with keys from the auth service's JWKS (token-keys.ts): no network
 * hop per request, a new `kid` (key rotation) fetched when first seen, and a flood of made-up kids
 * costing at most one fetch per cooldown. Algorithm, issuer, audience and expiry are all checked,
 * once per token per TOKEN_CACHE_MS (verified-tokens.ts). Returns middleware that sets req.user
 * from a valid bearer token, or answers 401 (503 if no usable key set can be had).
 */
export function createJwtAuthentication(config: JwtVerificationConfig): RequestHandler {
  const { tokenRejections } = platformMetrics();
  const keyFor = createTokenKeys({
    url: config.JWKS_URL,
    timeoutMs: config.JWKS_TIMEOUT_MS,
    cooldownMs: config.JWKS_COOLDOWN_MS,
    maxAgeMs: config.JWKS_CACHE_MS,
    staleMs: config.JWKS_STALE_MS,
  });
  const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();
  const verifiedTokens = createVerifiedTokens<AuthenticatedUser>({
    maxEntries: verifiedTokenEntries,
    maxAgeMs: config.TOKEN_CACHE_MS,
  });

  const keyProvider: SecretOrKeyProvider = (_req, rawToken, done) => {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(String(rawToken));
    } catch (error) {
      done(error);
      return;
    }
    if (typeof header.kid !== 'string') {
      done(new Error('token has no kid'));
      return;
    }
    // A KeyObject is what jsonwebtoken accepts best, though passport-jwt's types only name strings and buffers.
    keyFor({ alg: header.alg, kid: header.kid }).then(
      (key) => {
        done(null, key as unknown as string);
      },
      (error: unknown) => {
        done(error);
      },
    );
  };

  const passport = new Passport();
  passport.use(
    'jwt',
    new JwtStrategy(
      {
        jwtFromRequest: bearerToken,
        secretOrKeyProvider: keyProvider,
        algorithms: [tokenAlgorithm],
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        passReqToCallback: true,
      },
      (
        req: Request,
        payload: { sub?: unknown; username?: unknown; iat?: unknown; exp?: unknown },
        done: (error: null, user: AuthenticatedUser | false) => void,
      ) => {
        const { sub, username, iat, exp } = payload;
        // jsonwebtoken checks exp only when present: a token must carry one, and a short one.
        const shortLived = typeof iat === 'number' && typeof exp === 'number' && exp - iat <= maxTokenLifetimeSeconds;
        if (!shortLived || typeof sub !== 'string' || typeof username !== 'string') {
          done(null, false);
          return;
        }
        const user = { id: sub, username };
        const token = bearerToken(req);
        if (token !== null) verifiedTokens.remember(token, user, exp);
        done(null, user);
      },
    ),
  );

  return (req, res, next) => {
    const token = bearerToken(req);
    const known = token === null ? undefined : verifiedTokens.get(token);
    if (known !== undefined) {
      req.user = known;
      next();
      return;
    }
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
  if (info.name === 'JWKSNoMatchingKey' || info.name === 'JWKSMultipleMatchingKeys') return 'unknown_kid';
  if (info.name === 'JOSENotSupported') return 'algorithm';
  if (info.message === 'No auth token') return 'missing';
  if (/issuer/.test(info.message)) return 'issuer';
  if (/audience/.test(info.message)) return 'audience';
  if (/signature/.test(info.message)) return 'signature';
  if (/algorithm/.test(info.message)) return 'algorithm';
  return 'malformed';
}
