import { LRUCache } from 'lru-cache';

/** Tokens already verified, with whom each proved: a repeat is answered without an ES256 verification. */
export interface VerifiedTokens<User extends object> {
  /** The user a token proved, if it was verified less than the cache's time ago and has not expired. */
  get(token: string): User | undefined;
  /** Remembers a token that just verified, until the earlier of its expiry and the cache's time. */
  remember(token: string, user: User, expiresAtSeconds: number): void;
}

/**
 * A bounded LRU of verified tokens. Expiry is checked against Date.now() on every read (lru-cache's own
 * TTL runs on performance.now(), which the tests' mocked clocks do not move), and an entry lives at most
 * `maxAgeMs`: a key withdrawn from the key set stops verifying at most this long after its usual bound.
 */
export function createVerifiedTokens<User extends object>(bounds: {
  maxEntries: number;
  maxAgeMs: number;
}): VerifiedTokens<User> {
  const entries = new LRUCache<string, { user: User; validUntil: number }>({ max: bounds.maxEntries });
  return {
    get(token) {
      const entry = entries.get(token);
      if (entry === undefined) return undefined;
      if (Date.now() < entry.validUntil) return entry.user;
      entries.delete(token);
      return undefined;
    },
    remember(token, user, expiresAtSeconds) {
      entries.set(token, { user, validUntil: Math.min(expiresAtSeconds * 1_000, Date.now() + bounds.maxAgeMs) });
    },
  };
}
