// CPU time of a process, from /proc (Linux).
import { readFileSync } from 'node:fs';

/** Linux reports process times in USER_HZ ticks, 100 a second on every architecture it exports them on. */
const ticksPerSecond = 100;

/** User plus system CPU seconds the process has spent since it started. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start after its last ')': utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Runs `work` and returns its result with the CPU seconds each process spent meanwhile. */
export async function withCpu<Name extends string, T>(
  pids: Record<Name, number>,
  work: () => Promise<T>,
): Promise<{ result: T; cpu: Record<Name, number> }> {
  const entries = Object.entries(pids) as Array<[Name, number]>;
  const before = entries.map(([, pid]) => cpuSeconds(pid));
  const result = await work();
  const cpu = Object.fromEntries(entries.map(([name, pid], i) => [name, cpuSeconds(pid) - (before[i] ?? 0)]));
  return { result, cpu: cpu as Record<Name, number> };
}
