import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureServiceRoles } from '../../../../scripts/local-stack/roles.ts';
import { startTestDatabase, withClient } from '../../../../scripts/local-stack/testing.ts';
import { applyServiceRoles, serviceDatabaseUrl, type DatabaseService, type ServicePasswords } from '../../src/roles.ts';

/**
 * prisma/roles.sql against real PostgreSQL, on the committed migrations: each service's role reads and
 * writes its own tables, is refused the other service's, can change no schema, and the file can be
 * applied again and again with the same outcome.
 */
let database: Awaited<ReturnType<typeof startTestDatabase>> | undefined;
const passwords: ServicePasswords = { auth: `auth-${randomUUID()}`, image: `image-${randomUUID()}` };
const adminUrl = () => database?.url ?? '';
const urlOf = (service: DatabaseService) => serviceDatabaseUrl(adminUrl(), service, passwords[service]);

const as = (service: DatabaseService, sql: string, values: unknown[] = []) =>
  withClient(urlOf(service), (client) => client.query(sql, values));
const asAdmin = (sql: string, values: unknown[] = []) => withClient(adminUrl(), (client) => client.query(sql, values));

/** Asserts the statement fails with PostgreSQL's insufficient_privilege (42501) error. */
async function assertDenied(service: DatabaseService, sql: string, values: unknown[] = []): Promise<void> {
  await assert.rejects(as(service, sql, values), (error: Error & { code?: string }) => {
    assert.equal(error.code, '42501', `${service}: ${sql}: expected permission denied, got ${error.message}`);
    assert.match(error.message, /permission denied|must be owner/);
    return true;
  });
}

const insertUser = `INSERT INTO auth.users (id, username, password_hash) VALUES ($1, $2, 'hash') RETURNING id`;
const insertImage = `INSERT INTO image.images (id, filename, owner_id, object_key, content_type, size_bytes, etag)
                     VALUES ($1, $2, $3, $2, 'image/png', 1, 'etag') RETURNING id`;

/** Everything the roles SQL decides, as rows: role attributes, database, schema, table and default privileges. */
const privilegeSnapshot = () =>
  withClient(adminUrl(), async (client) => {
    const queries = {
      roles: `SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls
              FROM pg_roles WHERE rolname IN ('auth_service', 'image_service') ORDER BY 1`,
      database: `SELECT datacl::text FROM pg_database WHERE datname = current_database()`,
      schemas: `SELECT nspname, nspacl::text FROM pg_namespace WHERE nspname IN ('auth', 'image', 'public') ORDER BY 1`,
      tables: `SELECT table_schema, table_name, grantee, privilege_type FROM information_schema.role_table_grants
               WHERE grantee IN ('auth_service', 'image_service', 'PUBLIC') ORDER BY 1, 2, 3, 4`,
      defaults: `SELECT n.nspname, d.defaclobjtype, d.defaclacl::text FROM pg_default_acl d
                 JOIN pg_namespace n ON n.oid = d.defaclnamespace ORDER BY 1, 2`,
    };
    const snapshot: Record<string, unknown[]> = {};
    for (const [name, query] of Object.entries(queries)) snapshot[name] = (await client.query(query)).rows;
    return snapshot;
  });

before(async () => {
  database = await startTestDatabase();
  await applyServiceRoles(adminUrl(), passwords);
});
after(async () => {
  await database?.dispose();
});

describe('the auth service role (auth_service)', () => {
  it('reads and writes auth tables', async () => {
    const id = randomUUID();
    assert.equal((await as('auth', insertUser, [id, `user-${id.slice(0, 8)}`])).rowCount, 1);
    assert.equal((await as('auth', 'SELECT username FROM auth.users WHERE id = $1', [id])).rowCount, 1);
  });

  it('is refused the image schema', async () => {
    await assertDenied('auth', 'SELECT * FROM image.images');
    await assertDenied('auth', insertImage, [randomUUID(), `${randomUUID()}_a.png`, randomUUID()]);
    await assertDenied('auth', 'DELETE FROM image.images');
  });

  it('gets no more than it needs on its own tables, and no DDL anywhere', async () => {
    await assertDenied('auth', `UPDATE auth.users SET password_hash = 'x'`);
    await assertDenied('auth', 'DELETE FROM auth.users');
    await assertDenied('auth', 'TRUNCATE auth.users');
    await assertDenied('auth', 'CREATE TABLE auth.extra (id int)');
    await assertDenied('auth', 'ALTER TABLE auth.users ADD COLUMN extra int');
    await assertDenied('auth', 'DROP TABLE auth.users');
    await assertDenied('auth', 'CREATE INDEX users_extra ON auth.users (created_at)');
    await assertDenied('auth', 'CREATE TABLE public.extra (id int)');
    await assertDenied('auth', 'CREATE TEMPORARY TABLE extra (id int)');
    await assertDenied('auth', 'CREATE SCHEMA extra');
    await assertDenied('auth', 'SELECT * FROM public._prisma_migrations');
    await assertDenied('auth', 'CREATE ROLE intruder');
  });
});

describe('the image service role (image_service)', () => {
  it('reads, writes and deletes image tables', async () => {
    const id = randomUUID();
    assert.equal((await as('image', insertImage, [id, `${id}_a.png`, randomUUID()])).rowCount, 1);
    assert.equal((await as('image', 'SELECT filename FROM image.images WHERE id = $1', [id])).rowCount, 1);
    assert.equal((await as('image', 'DELETE FROM image.images WHERE id = $1', [id])).rowCount, 1);
  });

  it('is refused the auth schema', async () => {
    await assertDenied('image', 'SELECT * FROM auth.users');
    await assertDenied('image', 'SELECT password_hash FROM auth.users');
    await assertDenied('image', insertUser, [randomUUID(), 'intruder']);
  });

  it('gets no DDL anywhere', async () => {
    await assertDenied('image', `UPDATE image.images SET etag = 'x'`);
    await assertDenied('image', 'TRUNCATE image.images');
    await assertDenied('image', 'CREATE TABLE image.extra (id int)');
    await assertDenied('image', 'ALTER TABLE image.images ADD COLUMN extra int');
    await assertDenied('image', 'DROP TABLE image.images');
    await assertDenied('image', 'CREATE TABLE public.extra (id int)');
    await assertDenied('image', 'CREATE TEMPORARY TABLE extra (id int)');
  });
});

describe('prisma/roles.sql', () => {
  it('logs the roles in with their passwords only (SCRAM verifiers set by the client)', async () => {
    const wrong = serviceDatabaseUrl(adminUrl(), 'auth', 'not-the-password');
    await assert.rejects(
      withClient(wrong, (client) => client.query('SELECT 1')),
      /password authentication failed/,
    );
    const { rows } = await asAdmin(
      `SELECT rolname, left(rolpassword, 14) AS kind FROM pg_authid WHERE rolname LIKE '%\\_service' ORDER BY 1`,
    );
    assert.deepEqual(rows, [
      { rolname: 'auth_service', kind: 'SCRAM-SHA-256$' },
      { rolname: 'image_service', kind: 'SCRAM-SHA-256$' },
    ]);
  });

  it('covers tables that later migrations create (default privileges), in the right schema only', async () => {
    await asAdmin('CREATE TABLE auth.sessions (id uuid PRIMARY KEY)');
    await asAdmin('CREATE TABLE image.thumbnails (id uuid PRIMARY KEY)');
    try {
      await as('auth', 'INSERT INTO auth.sessions VALUES ($1)', [randomUUID()]);
      assert.equal((await as('auth', 'SELECT * FROM auth.sessions')).rowCount, 1);
      await as('image', 'INSERT INTO image.thumbnails VALUES ($1)', [randomUUID()]);
      assert.equal((await as('image', 'DELETE FROM image.thumbnails')).rowCount, 1);
      await assertDenied('image', 'SELECT * FROM auth.sessions');
      await assertDenied('auth', 'SELECT * FROM image.thumbnails');
    } finally {
      await asAdmin('DROP TABLE auth.sessions, image.thumbnails');
    }
  });

  it('is idempotent: applied again, it changes nothing and the services keep working', async () => {
    const first = await privilegeSnapshot();
    await applyServiceRoles(adminUrl(), passwords);
    await applyServiceRoles(adminUrl(), passwords);
    assert.deepEqual(await privilegeSnapshot(), first);
    assert.equal((await as('auth', 'SELECT count(*) FROM auth.users')).rowCount, 1);
    assert.equal((await as('image', 'SELECT count(*) FROM image.images')).rowCount, 1);
  });

  it('converges: a privilege granted by hand is taken back on the next run', async () => {
    const before = await privilegeSnapshot();
    await asAdmin('GRANT UPDATE, DELETE ON auth.users TO auth_service');
    await asAdmin('GRANT USAGE ON SCHEMA auth TO image_service');
    await asAdmin('GRANT SELECT ON auth.users TO image_service');
    await applyServiceRoles(adminUrl(), passwords);
    assert.deepEqual(await privilegeSnapshot(), before);
    await assertDenied('image', 'SELECT * FROM auth.users');
  });

  it('refuses to run without the role passwords', async () => {
    await assert.rejects(
      applyServiceRoles(adminUrl(), { auth: '', image: passwords.image }).then(() => undefined),
      /platform\.auth_service_password/,
    );
  });
});

describe('the local stack (scripts/local-stack/roles.ts)', () => {
  it('generates the passwords once into the state folder and connects each service as its role', async () => {
    const keysDir = mkdtempSync(join(tmpdir(), 'platform-keys-'));
    try {
      const first = await ensureServiceRoles(adminUrl(), keysDir, () => {
        assert.fail('no fallback expected');
      });
      const stored = readFileSync(join(keysDir, 'database-passwords.json'), 'utf8');
      const second = await ensureServiceRoles(adminUrl(), keysDir, () => {
        assert.fail('no fallback expected');
      });
      assert.deepEqual(second, first);
      assert.equal(readFileSync(join(keysDir, 'database-passwords.json'), 'utf8'), stored);
      assert.equal(new URL(first.auth).username, 'auth_service');
      assert.equal(new URL(first.image).username, 'image_service');
      await withClient(first.auth, (client) => client.query('SELECT count(*) FROM auth.users'));
      await withClient(first.image, (client) => client.query('SELECT count(*) FROM image.images'));
    } finally {
      rmSync(keysDir, { recursive: true, force: true });
      await applyServiceRoles(adminUrl(), passwords); // back to this file's passwords
    }
  });

  it('falls back to the shared URL, saying why, when the DATABASE_URL role may not manage roles', async () => {
    await asAdmin(`CREATE ROLE limited_admin LOGIN PASSWORD 'limited'`);
    await asAdmin(`GRANT CONNECT ON DATABASE platform TO limited_admin`);
    const limitedUrl = Object.assign(new URL(adminUrl()), { username: 'limited_admin', password: 'limited' }).href;
    const keysDir = mkdtempSync(join(tmpdir(), 'platform-keys-'));
    try {
      const messages: string[] = [];
      const urls = await ensureServiceRoles(limitedUrl, keysDir, (message) => messages.push(message));
      assert.deepEqual(urls, { auth: limitedUrl, image: limitedUrl });
      assert.equal(messages.length, 1);
      assert.match(
        messages[0] ?? '',
        /cannot create roles \(permission denied.*\): auth and image share its URL\. Give it CREATEROLE/,
      );
    } finally {
      rmSync(keysDir, { recursive: true, force: true });
    }
  });
});
