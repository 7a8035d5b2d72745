import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateDatabase } from './migrations.ts';
import { startObjectStore, type LocalObjectStore } from './object-store.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from './postgres.ts';

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0); });
    });
    server.on('error', reject);
  });
}

/** A throwaway real PostgreSQL with the committed migrations applied (for integration tests). */
export async function startTestDatabase(options: { migrate?: boolean } = {}): Promise<EmbeddedPostgresServer & { dispose: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'platform-pg-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own user when we are root
  const server = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), port: await freePort(), database: 'platform' });
  if (options.migrate !== false) await migrateDatabase(server.url);
  return {
    ...server,
    dispose: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A throwaway real S3: MinIO when available (or `embedded` forced), else s3rver. */
export async function startTestObjectStore(kind: 'minio' | 's3rver'): Promise<LocalObjectStore & { dispose: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'platform-s3-'));
  const store = await startObjectStore({
    dataDir: join(dir, 'data'),
    port: await freePort(),
    consolePort: await freePort(),
    logFile: join(dir, 's3.log'),
    forceEmbedded: kind === 's3rver',
  });
  if (store.kind !== kind) throw new Error(`wanted ${kind} but only ${store.kind} is available (run scripts/tools/install.sh)`);
  return {
    ...store,
    dispose: async () => {
      await store.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `use` with a connected client, closed afterwards whatever happens. */
export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
