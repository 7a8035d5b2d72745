// Waits until the database at DATABASE_URL (or DATABASE_URL_FILE) answers a query, for up to DATABASE_WAIT_SECONDS
// (default 120), before the migration Job migrates. A new pod may not reach it at once: its NetworkPolicy and the
// Service's routing are programmed after it starts (on the local cluster, once for over 30 s), and
// `prisma migrate deploy` gives up at the first refused connection.
//
//   DATABASE_URL=<url> node packages/database/src/wait-for-database.ts
import pRetry from 'p-retry';
import pg from 'pg';
import { setting } from './roles.ts';

/** Resolves once a connection to `url` runs `select 1`; rejects with the last error after `seconds`. */
export async function waitForDatabase(url: string, seconds: number, onRetry: (message: string) => void): Promise<void> {
  await pRetry(
    async () => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
      try {
        await client.connect();
        await client.query('select 1');
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    {
      retries: Number.POSITIVE_INFINITY,
      maxRetryTime: seconds * 1000,
      minTimeout: 1000,
      factor: 1,
      onFailedAttempt: ({ error, attemptNumber }) => {
        onRetry(`database not reachable yet (attempt ${attemptNumber}: ${error.message})`);
      },
    },
  );
}

if (import.meta.main) {
  const started = Date.now();
  try {
    await waitForDatabase(setting('DATABASE_URL'), Number(process.env['DATABASE_WAIT_SECONDS'] ?? '120'), (message) => {
      process.stdout.write(`${message}\n`);
    });
    process.stdout.write(`database reachable after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    process.stderr.write(`database not reachable: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
