// Process checks shared by the local stack and the cluster's daemons, which both run their children in process
// groups of their own and record them in pid files.
import { readFileSync } from 'node:fs';

/** Whether a process with this pid exists (and may be signalled by us). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether this pid still runs `command` and is not a zombie: a recorded pid may have been reused since. */
export function runsCommand(pid: number, command: string): boolean {
  try {
    if (/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === command;
  } catch {
    return false;
  }
}

/** Signals the whole process group led by `pid`; false when it is already gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}
