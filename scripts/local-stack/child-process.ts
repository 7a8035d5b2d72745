// Every process of the local stack runs through this one function: its own process group (so a Ctrl-C
// in the terminal reaches only the supervisor, which stops components in order), output appended to a
// log file, a pid file for a later start to clean up after a stack that was killed, and a stop that is
// bounded whatever the process does.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { runsCommand, signalGroup } from '../lib/processes.ts';

export interface ChildProcessSpec {
  command: string;
  args: string[];
  /** The whole environment: nothing is inherited but PATH and HOME. */
  env: Record<string, string>;
  cwd: string;
  logFile: string;
  /** Where the pid is recorded while it runs. */
  pidFile: string;
  /** The signal that asks it to stop (PostgreSQL: SIGINT, a fast shutdown). */
  stopSignal?: NodeJS.Signals;
  /** Another user to run as (PostgreSQL refuses to run as root). */
  runAs?: { uid: number; gid: number };
  /** Each output line, e.g. to echo it to the terminal. */
  onLine?: (line: string) => void;
}

export interface ChildProcessHandle {
  readonly pid: number;
  /** Resolves with the exit code (null after a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** How it ended, once it has: for "not ready" errors. */
  exitDescription: () => string | undefined;
  /** The stop signal, then SIGKILL to its whole group after `graceMs`. Resolves with the exit code. */
  stop: (graceMs: number) => Promise<number | null>;
}

/** After SIGKILL, how long to wait for the exit (a process in uninterruptible sleep may take a moment). */
const killWaitMs = 5_000;

export function startChildProcess(spec: ChildProcessSpec): ChildProcessHandle {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/', ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...spec.runAs,
  });
  const log = createWriteStream(spec.logFile, { flags: 'a' });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      log.write(`${line}\n`);
      spec.onLine?.(line);
    });
  }
  let description: string | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (error) => {
      description = `could not start ${spec.command}: ${error.message}`;
      resolve(null);
    });
    child.once('exit', (code, signal) => {
      description ??= `exited (${signal ?? `code ${code}`})`;
      rmSync(spec.pidFile, { force: true });
      resolve(code);
    });
  });
  const pid = child.pid ?? 0;
  if (pid > 0) writeFileSync(spec.pidFile, JSON.stringify({ pid, command: spec.command }));
  return {
    pid,
    exited,
    exitDescription: () => description,
    stop: async (graceMs) => {
      if (description !== undefined) return exited;
      child.kill(spec.stopSignal ?? 'SIGTERM');
      const code = await Promise.race([exited, sleep(graceMs, 'timeout' as const, { ref: false })]);
      if (code !== 'timeout') return code;
      signalGroup(pid, 'SIGKILL');
      return Promise.race([exited, sleep(killWaitMs, null, { ref: false })]);
    },
  };
}

/** Kills what a stack that was itself killed left behind, named by its pid file; true if there was something. */
export function killLeftover(pidFile: string): boolean {
  let recorded: { pid: number; command: string };
  try {
    recorded = JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number; command: string };
  } catch {
    return false;
  }
  rmSync(pidFile, { force: true });
  // The pid may have been reused since: it counts only if it still runs the recorded command.
  return runsCommand(recorded.pid, recorded.command) && signalGroup(recorded.pid, 'SIGKILL');
}
