import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from './paths.ts';

export interface ServiceProcessOptions {
  name: string;
  /** Entry point, relative to the repository root. */
  entry: string;
  env: Record<string, string>;
  logFile: string;
  /** Restart on source changes (node --watch). */
  watch: boolean;
  /** V8 old-space limit in MiB, to prove memory stays flat. */
  maxOldSpaceMb?: number;
  /** Each output line, e.g. to echo it to the terminal. */
  onLine?: (line: string) => void;
}

export interface ServiceProcess {
  readonly pid: number | undefined;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. Resolves with the exit code. */
  stop: (graceMs?: number) => Promise<number | null>;
  exited: Promise<number | null>;
}

/** Runs one service as a child Node process, its output appended to a log file. */
export function startServiceProcess(options: ServiceProcessOptions): ServiceProcess {
  const args = [
    ...(options.watch ? ['--watch', '--watch-preserve-output'] : []),
    ...(options.maxOldSpaceMb === undefined ? [] : [`--max-old-space-size=${options.maxOldSpaceMb}`]),
    options.entry,
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream }).on('line', (line) => {
      log.write(`${line}\n`);
      options.onLine?.(line);
    });
  }
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    pid: child.pid,
    exited,
    stop: async (graceMs = 30_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(graceMs).then(() => 'timeout' as const)]);
      if (code !== 'timeout') return code;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

/** Polls a URL until it answers 200 or the time is up. */
export async function waitUntilReady(url: string, timeoutMs: number, exited?: Promise<unknown>): Promise<boolean> {
  const process = { exited: false };
  void exited?.then(() => { process.exited = true; });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !process.exited) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.ok) return true;
    } catch {
      // not up yet
    }
    await sleep(150);
  }
  return false;
}
