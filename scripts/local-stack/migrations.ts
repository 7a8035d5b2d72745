import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { repoRoot } from './paths.ts';

const prismaCli = join(repoRoot, 'node_modules/prisma/build/index.js');

/** Runs `prisma <args>` from the repository root and resolves with its output; rejects on failure. */
export function runPrisma(args: string[], databaseUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCli, ...args], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`prisma ${args.join(' ')} failed (exit ${code}):\n${output.trim()}`));
    });
  });
}

/**
 * Applies every committed migration that the database does not have yet. The Prisma CLI takes
 * seconds to start, so it runs only when a migration is actually pending.
 */
export async function migrateDatabase(databaseUrl: string): Promise<'applied' | 'up to date'> {
  if ((await pendingMigrations(databaseUrl)).length === 0) return 'up to date';
  await runPrisma(['migrate', 'deploy'], databaseUrl);
  return 'applied';
}

async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const committed = readdirSync(join(repoRoot, 'prisma/migrations'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const applied = new Set(rows.map((row) => row.name));
    return committed.filter((name) => !applied.has(name));
  } catch {
    return committed; // no migrations table yet
  } finally {
    await client.end();
  }
}
