// Writes a new Prisma migration from the difference between the last committed schema and the
// working copy. `prisma migrate dev` needs a native engine that cannot be downloaded here, so
// migrations are produced with `prisma migrate diff`, which runs on the WebAssembly engine and needs
// a database connection: a throwaway embedded PostgreSQL provides it.
//
//   npm run db:new-migration -- <name>
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runPrisma } from './local-stack/migrations.ts';
import { repoRoot } from './local-stack/paths.ts';
import { startTestDatabase } from './local-stack/testing.ts';

const usage = 'Usage: npm run db:new-migration -- <name>   (name: lower_snake_case, e.g. add_image_etag)';
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { help: { type: 'boolean', short: 'h' } },
});
const name = positionals[0];
if (values.help === true || name === undefined || !/^[a-z][a-z0-9_]*$/.test(name)) {
  console.log(usage);
  process.exit(values.help === true ? 0 : 2);
}

const migrationsDir = join(repoRoot, 'prisma/migrations');
const hasMigrations = readdirSync(migrationsDir, { withFileTypes: true }).some((entry) => entry.isDirectory());
const from = hasMigrations ? ['--from-schema-datamodel', committedSchema()] : ['--from-empty'];
const database = await startTestDatabase({ migrate: false });
let output: string;
try {
  output = await runPrisma(
    ['migrate', 'diff', ...from, '--to-schema-datamodel', 'prisma/schema.prisma', '--script'],
    database.url,
  );
} finally {
  await database.dispose();
}
const sql = output.slice(Math.max(0, output.indexOf('--')));
if (!/\b(CREATE|ALTER|DROP)\b/.test(sql)) {
  console.log('prisma/schema.prisma matches the committed schema: no migration needed.');
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const dir = join(migrationsDir, `${stamp}_${name}`);
mkdirSync(dir);
writeFileSync(join(dir, 'migration.sql'), sql);
console.log(`Wrote ${dir}/migration.sql. Review it, then commit it with the schema change.`);

/** The schema as last committed: the state the existing migrations produce (a test keeps them equal). */
function committedSchema(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'schema-')), 'schema.prisma');
  writeFileSync(file, execFileSync('git', ['show', 'HEAD:prisma/schema.prisma'], { cwd: repoRoot, encoding: 'utf8' }));
  return file;
}
