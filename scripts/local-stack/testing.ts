// Throwaway real PostgreSQL and S3 for integration tests, run by the local stack's own supervisor.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateDatabase } from './migrations.ts';
import { objectStore, type ObjectStore } from './object-store.ts';
import { ensureDatabase, postgresComponent, postgresUrl } from './postgres.ts';
import { localRedis } from './redis.ts';
import { startComponents, type Component, type Supervisor } from './supervisor.ts';

import { freePort } from '../lib/free-port.ts';

export { freePort };

export interface TestServer {
  /** Stops it, keeping its data (fault tests). */
  stop: () => Promise<void>;
  /** Starts it again on the same data and port. */
  start: () => Promise<void>;
  /** Stops it and deletes its data. */
  dispose: () => Promise<void>;
}

/** A throwaway real PostgreSQL with the committed migrations applied. */
export async function startTestDatabase(
  options: { migrate?: boolean } = {},
): Promise<TestServer & { url: string; port: number }> {
  const port = await freePort();
  const server = await startTestComponent('platform-pg-', (dir) =>
    postgresComponent({ dataDir: join(dir, 'data'), port }),
  );
  await ensureDatabase(port, 'platform');
  const url = postgresUrl(port, 'platform');
  if (options.migrate !== false) await migrateDatabase(url);
  return { ...server, url, port };
}

/** A throwaway real S3 of the kind asked for (MinIO needs scripts/tools/install.sh minio). */
export async function startTestObjectStore(
  kind: 'minio' | 's3rver',
): Promise<TestServer & Omit<ObjectStore, 'component'>> {
  const port = await freePort();
  const consolePort = await freePort();
  let store: ObjectStore | undefined;
  const server = await startTestComponent('platform-s3-', (dir) => {
    store = objectStore({ dataDir: join(dir, 'data'), port, consolePort, forceEmbedded: kind === 's3rver' });
    if (store.kind !== kind)
      throw new Error(`wanted ${kind} but only ${store.kind} is available (run scripts/tools/install.sh minio)`);
    return store.component;
  });
  const { kind: started, endpoint, accessKeyId, secretAccessKey, imageService } = store as ObjectStore;
  return { ...server, kind: started, endpoint, accessKeyId, secretAccessKey, imageService };
}

/** A throwaway real Redis, as the local stack runs it (needs scripts/tools/install.sh redis-server). */
export async function startTestRedis(): Promise<TestServer & { url: string }> {
  const port = await freePort();
  let url: string | undefined;
  const server = await startTestComponent('platform-redis-', (dir) => {
    const redis = localRedis({ dir: join(dir, 'data'), port, skipped: undefined });
    url = redis.url;
    return redis.component;
  });
  return { ...server, url: url ?? '' };
}

async function startTestComponent(prefix: string, declare: (dir: string) => Component): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own user when we are root
  const component = declare(dir);
  let supervisor: Supervisor;
  try {
    supervisor = await startComponents([component], {
      logsDir: join(dir, 'logs'),
      pidsDir: join(dir, 'pids'),
      onProgress: () => undefined,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    stop: async () => {
      await supervisor.stopComponent(component.name);
    },
    start: () => supervisor.startComponent(component.name),
    dispose: async () => {
      await supervisor.stop();
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
