import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root (this file is scripts/local-stack/paths.ts). */
export const repoRoot = resolve(import.meta.dirname, '../..');

/** Where scripts/tools/install.sh puts the Go tools it builds. */
export const toolsBinDir = join(process.env['PLATFORM_TOOLS_DIR'] ?? join(homedir(), '.cache/platform-tools'), 'bin');

/** The layout of a local stack's state folder (git-ignored). */
export function stateLayout(stateDir: string) {
  const root = resolve(repoRoot, stateDir);
  return {
    root,
    lockFile: join(root, 'stack.lock'),
    stackFile: join(root, 'stack.json'),
    logsDir: join(root, 'logs'),
    postgresDir: join(root, 'data/postgres'),
    objectsDir: join(root, 'data/objects'),
    redisDir: join(root, 'data/redis'),
    keysDir: join(root, 'data/keys'),
    tlsDir: join(root, 'tls'),
    nginxDir: join(root, 'nginx'),
    /** The pid of every process the stack runs, so a later start can clean up after a killed one. */
    pidsDir: join(root, 'pids'),
  };
}

export type StateLayout = ReturnType<typeof stateLayout>;
