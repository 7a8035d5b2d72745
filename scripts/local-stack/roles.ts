import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyServiceRoles,
  serviceDatabaseUrl,
  serviceRoles,
  type DatabaseService,
  type ServicePasswords,
} from '../../packages/database/src/roles.ts';

export type ServiceDatabaseUrls = Record<DatabaseService, string>;

/**
 * Gives auth and image their own least-privilege PostgreSQL roles (prisma/roles.sql) and returns the
 * URL each connects with. Passwords are generated on first start into the git-ignored state folder,
 * like the signing key. Runs after the migrations, as the role that ran them.
 *
 * An external DATABASE_URL whose role may not create roles keeps working: the services then share
 * that URL, and `onFallback` says why and what to do.
 */
export async function ensureServiceRoles(
  adminUrl: string,
  keysDir: string,
  onFallback: (message: string) => void,
): Promise<ServiceDatabaseUrls> {
  const passwords = ensurePasswords(keysDir);
  try {
    await applyServiceRoles(adminUrl, passwords);
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error; // insufficient_privilege
    onFallback(
      `the DATABASE_URL role cannot create roles (${(error as Error).message}): auth and image share its URL. ` +
        'Give it CREATEROLE (or run packages/database/src/roles.ts as a role that has it) to separate them.',
    );
    return { auth: adminUrl, image: adminUrl };
  }
  return {
    auth: serviceDatabaseUrl(adminUrl, 'auth', passwords.auth),
    image: serviceDatabaseUrl(adminUrl, 'image', passwords.image),
  };
}

function ensurePasswords(keysDir: string): ServicePasswords {
  const file = join(keysDir, 'database-passwords.json');
  if (!existsSync(file)) {
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    const generated = Object.fromEntries(
      Object.values(serviceRoles).map((role) => [role, randomBytes(24).toString('base64url')]),
    );
    writeFileSync(file, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600 });
  }
  const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string | undefined>;
  const password = (service: DatabaseService) => {
    const value = stored[serviceRoles[service]];
    if (value === undefined || value === '')
      throw new Error(`${file} has no password for ${serviceRoles[service]}: delete it to generate new ones`);
    return value;
  };
  return { auth: password('auth'), image: password('image') };
}
