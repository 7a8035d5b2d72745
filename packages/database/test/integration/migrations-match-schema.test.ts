import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { migrateDatabase, runPrisma } from '../../../../scripts/local-stack/migrations.ts';
import { startTestDatabase, withClient } from '../../../../scripts/local-stack/testing.ts';

/**
 * The committed migrations must build exactly the schema that prisma/schema.prisma declares.
 * `prisma migrate dev` (which would check this) needs a native engine that cannot be fetched here,
 * so the test builds two databases - one from the migrations, one from the schema - and compares
 * their catalogs: columns, types, defaults, nullability, indexes and constraints.
 */
let database: Awaited<ReturnType<typeof startTestDatabase>> | undefined;
const urlOf = (name: string) => (database?.url ?? '').replace(/\/platform$/, `/${name}`);

const catalogQueries = {
  columns: `SELECT table_schema, table_name, column_name, data_type, character_maximum_length, numeric_precision,
                   datetime_precision, is_nullable, column_default
            FROM information_schema.columns WHERE table_schema IN ('auth', 'image') ORDER BY 1, 2, 3`,
  indexes: `SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname IN ('auth', 'image') ORDER BY 1, 2, 3`,
  constraints: `SELECT n.nspname, c.conname, c.contype, pg_get_constraintdef(c.oid) AS definition
                FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                WHERE n.nspname IN ('auth', 'image') ORDER BY 1, 2`,
};

const describeCatalog = (url: string) =>
  withClient(url, async (client) => {
    const catalog: Record<string, unknown[]> = {};
    for (const [name, query] of Object.entries(catalogQueries)) catalog[name] = (await client.query(query)).rows;
    return catalog;
  });

before(async () => {
  database = await startTestDatabase({ migrate: false });
  await withClient(database.url, async (client) => {
    await client.query('CREATE DATABASE from_migrations');
    await client.query('CREATE DATABASE from_schema');
  });
});
after(async () => {
  await database?.dispose();
});

describe('prisma/migrations', () => {
  it('produce exactly the schema in prisma/schema.prisma', async () => {
    await migrateDatabase(urlOf('from_migrations'));
    const declaredSql = await runPrisma(
      ['migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/schema.prisma', '--script'],
      urlOf('from_schema'),
    );
    const script = declaredSql.slice(declaredSql.indexOf('--'));
    await withClient(urlOf('from_schema'), (client) => client.query(script));

    const [migrated, declared] = await Promise.all([
      describeCatalog(urlOf('from_migrations')),
      describeCatalog(urlOf('from_schema')),
    ]);
    assert.ok((migrated['columns'] ?? []).length > 0, 'the migrations created no tables');
    assert.deepEqual(migrated, declared);
  });
});
