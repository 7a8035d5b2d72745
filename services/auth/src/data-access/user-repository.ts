import { isUniqueViolation, type Database, type User } from '@platform/database';

export type { User } from '@platform/database';

export interface UserRepository {
  /** Inserts a user; resolves null if the username is taken. */
  create: (user: { username: string; passwordHash: string }) => Promise<User | null>;
  findByUsername: (username: string) => Promise<User | null>;
}

export function createUserRepository(database: Database): UserRepository {
  return {
    create: async (data) => {
      try {
        return await database.user.create({ data });
      } catch (error) {
        if (isUniqueViolation(error)) return null;
        throw error;
      }
    },
    findByUsername: (username) => database.user.findUnique({ where: { username } }),
  };
}
