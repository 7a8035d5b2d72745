// Applies prisma/roles.sql: one least-privilege login role per service (auth_service, image_service).
// Used by the local stack after its migrations, and run by the migration Job after `prisma migrate deploy`:
//
//   DATABASE_URL=<schema owner> AUTH_SERVICE_PASSWORD_FILE=... IMAGE_SERVICE_PASSWORD_FILE=... node packages/database/src/roles.ts
//
// Not exported from the package's index: the services never manage roles.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';

export const serviceRoles = { auth: 'auth_service', image: 'image_service' } as const;
export type DatabaseService = keyof typeof serviceRoles;
export type ServicePasswords = Record<DatabaseService, string>;

const rolesFile = new URL('../../../prisma/roles.sql', import.meta.url);

/**
 * Creates or updates the service roles and their grants, as the schema owner at `adminUrl`. The
 * passwords reach the server only as SCRAM-SHA-256 verifiers (what `\password` in psql sends).
 */
export async function applyServiceRoles(adminUrl: string, passwords: ServicePasswords): Promise<void> {
  const sql = readFileSync(rolesFile, 'utf8');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const [service, role] of Object.entries(serviceRoles) as [DatabaseService, string][]) {
      if (passwords[service] === '') throw new Error(`no password for ${role} (platform.${role}_password)`);
      await client.query('SELECT set_config($1, $2, false)', [
        `platform.${role}_password`,
        scramSha256Verifier(passwords[service]),
      ]);
    }
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The URL a service connects with: the admin URL's server and database, the service's role. */
export function serviceDatabaseUrl(adminUrl: string, service: DatabaseService, password: string): string {
  const url = new URL(adminUrl);
  url.username = serviceRoles[service];
  url.password = encodeURIComponent(password);
  return url.toString();
}

/** A PostgreSQL SCRAM-SHA-256 password verifier (RFC 5802/7677), as stored in pg_authid. */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  // SASLprep is approximated by NFKC; generated passwords are ASCII, where both are the identity.
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** NAME, or the contents of the file NAME_FILE names (trailing newline dropped). */
/** A setting from the environment, or from the file its _FILE variable names (a mounted Secret). */
export function setting(name: string): string {
  const file = process.env[`${name}_FILE`];
  const value = file === undefined ? process.env[name] : readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (value === undefined || value === '') throw new Error(`set ${name} or ${name}_FILE`);
  return value;
}

if (import.meta.main) {
  try {
    await applyServiceRoles(setting('DATABASE_URL'), {
      auth: setting('AUTH_SERVICE_PASSWORD'),
      image: setting('IMAGE_SERVICE_PASSWORD'),
    });
    process.stdout.write(`database roles applied: ${Object.values(serviceRoles).join(', ')}\n`);
  } catch (error) {
    process.stderr.write(`database roles not applied: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
