import { KeyObject, type webcrypto } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type JWSHeaderParameters,
  type LocalJWKSet,
} from 'jose';
import { platformMetrics } from './telemetry/metrics.ts';

/** How the verification keys are fetched and how long each answer is trusted. */
export interface TokenKeyBounds {
  /** Where the auth service publishes its public keys (JWKS). */
  url: string;
  /** Time limit for one fetch of the key set. */
  timeoutMs: number;
  /** An unknown kid refetches the key set at most once per this long: a flood of made-up kids costs one fetch. */
  cooldownMs: number;
  /** A key set older than this is fetched again before use: a withdrawn key stops verifying within it. */
  maxAgeMs: number;
  /** While the key set cannot be fetched, the last one fetched keeps verifying for this long past maxAgeMs. */
  staleMs: number;
}

/** The key set cannot be fetched and no usable copy is left: the token cannot be judged either way. */
export class KeySetUnavailableError extends Error {
  override name = 'KeySetUnavailableError';
}

/** Returns the public key for a token's protected header; rejects with jose's errors for unknown kids or algorithms. */
export type TokenKeyLookup = (header: JWSHeaderParameters) => Promise<KeyObject>;

/** jose's answers about the token itself: anything else a lookup throws is a failure to fetch the key set. */
const verdictsOnTheToken = [errors.JWKSNoMatchingKey, errors.JOSENotSupported, errors.JWKSMultipleMatchingKeys];
const isVerdictOnTheToken = (error: unknown) => verdictsOnTheToken.some((kind) => error instanceof kind);

/**
 * The auth service's public keys, by kid, with jose's remote key set doing the fetching: one fetch
 * at a time, an unknown kid refetches at most once per cooldown (a flood of made-up kids cannot
 * spend anything a real rotation needs), and known keys are answered from memory.
 *
 * jose refetches a set older than maxAge before using it and, if that fetch fails, throws: every
 * token would be refused while auth is down. So the last set fetched stays usable for `staleMs`
 * past its max age while fetches fail, with at most one new attempt per cooldown meanwhile (an
 * endpoint that hangs then costs one request a timeout, not every request).
 */
export function createTokenKeys(bounds: TokenKeyBounds): TokenKeyLookup {
  const { jwksFetches } = platformMetrics();
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let failedAt = Number.NEGATIVE_INFINITY;

  const countingFetch: FetchImplementation = async (url, options) => {
    try {
      const response = await fetch(url, options);
      if (response.status === 200) fetchedAt = Date.now();
      else failedAt = Date.now();
      jwksFetches.add(1, { outcome: response.status === 200 ? 'success' : 'failure' });
      return response;
    } catch (error) {
      failedAt = Date.now();
      jwksFetches.add(1, { outcome: 'failure' });
      throw error;
    }
  };

  const remote = createRemoteJWKSet(new URL(bounds.url), {
    timeoutDuration: bounds.timeoutMs,
    cooldownDuration: bounds.cooldownMs,
    cacheMaxAge: bounds.maxAgeMs,
    [customFetch]: countingFetch,
  });

  // The last set fetched, as a local set of its own: jose's remote set will not answer from it once stale.
  let lastGood: { fetchedAt: number; lookup: LocalJWKSet } | undefined;
  const lastGoodLookup = () => {
    const jwks = remote.jwks();
    if (jwks === undefined || Date.now() >= fetchedAt + bounds.maxAgeMs + bounds.staleMs) return undefined;
    if (lastGood?.fetchedAt !== fetchedAt) lastGood = { fetchedAt, lookup: createLocalJWKSet(jwks) };
    return lastGood.lookup;
  };

  // jsonwebtoken (behind passport-jwt) takes a KeyObject, not jose's CryptoKey; one per key, kept.
  const keyObjects = new WeakMap<webcrypto.CryptoKey, KeyObject>();
  const keyObjectOf = (key: webcrypto.CryptoKey): KeyObject => {
    let keyObject = keyObjects.get(key);
    if (keyObject === undefined) {
      keyObject = KeyObject.from(key);
      keyObjects.set(key, keyObject);
    }
    return keyObject;
  };

  return async (header) => {
    const recentlyFailed = Date.now() < failedAt + bounds.cooldownMs;
    if (remote.fresh || !recentlyFailed || lastGoodLookup() === undefined) {
      try {
        return keyObjectOf(await remote(header));
      } catch (error) {
        if (isVerdictOnTheToken(error)) throw error;
        if (lastGoodLookup() === undefined)
          throw new KeySetUnavailableError('the key set cannot be fetched', { cause: error });
      }
    }
    const lookup = lastGoodLookup();
    if (lookup === undefined) throw new KeySetUnavailableError('the key set cannot be fetched');
    return keyObjectOf(await lookup(header));
  };
}
