// CPU time and page faults of a process, from /proc (Linux).
import { readProcStat, type ProcStat } from './proc-stat.ts';

/** What a process has spent since it started. */
export type ProcessUsage = Pick<ProcStat, 'cpuSeconds' | 'minorFaults'>;

export const processUsage = (pid: number): ProcessUsage => {
  const { cpuSeconds, minorFaults } = readProcStat(pid);
  return { cpuSeconds, minorFaults };
};

/** Runs `work` and returns its result with what each process spent meanwhile. */
export async function withUsage<Name extends string, T>(
  pids: Record<Name, number>,
  work: () => Promise<T>,
): Promise<{ result: T; usage: Record<Name, ProcessUsage> }> {
  const entries = Object.entries(pids) as Array<[Name, number]>;
  const before = entries.map(([, pid]) => processUsage(pid));
  const result = await work();
  const usage = Object.fromEntries(
    entries.map(([name, pid], i) => {
      const after = processUsage(pid);
      const start = before[i] ?? { cpuSeconds: 0, minorFaults: 0 };
      return [
        name,
        { cpuSeconds: after.cpuSeconds - start.cpuSeconds, minorFaults: after.minorFaults - start.minorFaults },
      ];
    }),
  );
  return { result, usage: usage as Record<Name, ProcessUsage> };
}
