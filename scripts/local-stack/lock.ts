import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The pid of a live stack holding the lock file, if any (a stale lock from a killed stack is ignored). */
export function runningStackPid(lockFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(lockFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Takes the lock for this process; refuses if a live stack holds it. */
export function acquireLock(lockFile: string): { release: () => void } {
  const holder = runningStackPid(lockFile);
  if (holder !== undefined)
    throw new Error(
      `a local stack is already running (pid ${holder}). Stop it with Ctrl-C in its terminal, or: kill ${holder}`,
    );
  mkdirSync(dirname(lockFile), { recursive: true });
  writeFileSync(lockFile, `${process.pid}\n`);
  return {
    release: () => {
      rmSync(lockFile, { force: true });
    },
  };
}
