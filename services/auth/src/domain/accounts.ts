import { conflict } from '@platform/runtime';
import type { UserRepository } from '../data-access/user-repository.ts';
import type { PasswordHasher } from './password-hasher.ts';

export interface Account {
  id: string;
  username: string;
}

export interface Accounts {
  /** Creates an account; 409 if the (normalised) username is taken. */
  register: (username: string, password: string) => Promise<Account>;
  /** The account these credentials prove, or null. Takes as long for unknown users as for wrong passwords. */
  authenticate: (username: string, password: string) => Promise<Account | null>;
}

export function createAccounts(users: UserRepository, hasher: PasswordHasher): Accounts {
  return {
    register: async (username, password) => {
      const created = await users.create({ username, passwordHash: await hasher.hash(password) });
      if (created === null) throw conflict('That username is already taken.');
      return { id: created.id, username: created.username };
    },
    authenticate: async (username, password) => {
      const user = await users.findByUsername(username);
      if (user === null) return hasher.verifyNothing(password).then(() => null);
      return (await hasher.verify(user.passwordHash, password)) ? { id: user.id, username: user.username } : null;
    },
  };
}
