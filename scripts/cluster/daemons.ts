// The cluster's processes run detached (they outlive `npm run cluster`), each with a log file and a pid
// file, so `--down` (or a later run after a crash) finds and stops exactly what was started.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runsCommand, signalGroup } from '../lib/processes.ts';
import { waitFor } from '../lib/wait.ts';

/** One process of the cluster, declared as data (components.ts). */
export interface Component {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Where it serves, for people (the status table). */
  listens: string;
  /** True once the component serves; polled after start. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** SIGTERM, then SIGKILL after this long. */
  stopGraceMs?: number;
}

export interface DaemonFolders {
  logsDir: string;
  pidsDir: string;
}

interface PidFile {
  pid: number;
  command: string;
  stopGraceMs: number;
}

export const logFile = (folders: DaemonFolders, name: string): string => join(folders.logsDir, `${name}.log`);

/** Starts a component in its own process group and waits until it is ready; a failure names it with its log tail. */
export async function startDaemon(component: Component, folders: DaemonFolders): Promise<number> {
  mkdirSync(folders.logsDir, { recursive: true });
  mkdirSync(folders.pidsDir, { recursive: true });
  const log = openSync(logFile(folders, component.name), 'w');
  const child = spawn(component.command, component.args, {
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: process.env['HOME'] ?? '/root',
      ...component.env,
    },
  });
  closeSync(log);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  let exit: string | undefined;
  // Kept referenced: the supervisor stays alive as their parent, and reaps them when they exit.
  child.once('exit', (code, signal) => {
    exit = `exited (${signal ?? `code ${code}`})`;
  });
  const pid = child.pid ?? (await spawnError).message;
  if (typeof pid === 'string') throw new Error(`${component.name}: could not start ${component.command}: ${pid}`);
  const record: PidFile = { pid, command: component.command, stopGraceMs: component.stopGraceMs ?? 10_000 };
  writeFileSync(join(folders.pidsDir, `${component.name}.json`), JSON.stringify(record));
  try {
    await waitFor(`${component.name} did not become ready`, () => component.ready().catch(() => false), {
      timeoutMs: component.readyTimeoutMs ?? 60_000,
      giveUpIf: () => exit,
    });
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n--- last lines of ${logFile(folders, component.name)}:\n${logTail(folders, component.name)}`,
      { cause: error },
    );
  }
  return pid;
}

export function logTail(folders: DaemonFolders, name: string, lines = 25): string {
  const path = logFile(folders, name);
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** The components whose pid file names a live process running the recorded command. */
export function runningDaemons(folders: DaemonFolders): Map<string, number> {
  const running = new Map<string, number>();
  if (!existsSync(folders.pidsDir)) return running;
  for (const file of readdirSync(folders.pidsDir).filter((name) => name.endsWith('.json'))) {
    const record = JSON.parse(readFileSync(join(folders.pidsDir, file), 'utf8')) as PidFile;
    if (runsCommand(record.pid, record.command)) running.set(file.slice(0, -'.json'.length), record.pid);
  }
  return running;
}

/** Stops the named components in the given order (SIGTERM to the group, then SIGKILL); forgets their pid files. */
export async function stopDaemons(
  names: string[],
  folders: DaemonFolders,
  onProgress: (message: string) => void,
): Promise<void> {
  for (const name of names) {
    const path = join(folders.pidsDir, `${name}.json`);
    if (!existsSync(path)) continue;
    const record = JSON.parse(readFileSync(path, 'utf8')) as PidFile;
    if (runsCommand(record.pid, record.command)) {
      onProgress(`stopping ${name}`);
      signalGroup(record.pid, 'SIGTERM');
      const stopped = () => !runsCommand(record.pid, record.command);
      await waitFor(`${name} did not stop`, stopped, { timeoutMs: record.stopGraceMs }).catch(async () => {
        onProgress(`${name} did not stop within ${record.stopGraceMs / 1000} s: killing it`);
        signalGroup(record.pid, 'SIGKILL');
        await waitFor(`${name} did not die`, stopped, { timeoutMs: 10_000 });
      });
    }
    rmSync(path);
  }
}
