import argon2 from 'argon2';

/**
 * argon2id with the OWASP Password Storage Cheat Sheet's first recommended configuration
 * (19 MiB memory, 2 iterations, 1 lane). The work runs on libuv's thread pool, off the event loop.
 */
const argon2idOptions = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export interface PasswordHasher {
  hash: (password: string) => Promise<string>;
  verify: (hash: string, password: string) => Promise<boolean>;
  /** Spends the same time as a real verification, for users that do not exist. */
  verifyNothing: (password: string) => Promise<false>;
}

export async function createPasswordHasher(): Promise<PasswordHasher> {
  const decoyHash = await argon2.hash('decoy password, never matches', argon2idOptions);
  return {
    hash: (password) => argon2.hash(password, argon2idOptions),
    verify: (hash, password) => argon2.verify(hash, password),
    verifyNothing: async (password) => {
      await argon2.verify(decoyHash, password);
      return false;
    },
  };
}
