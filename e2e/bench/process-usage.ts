// CPU time and page faults a process spends while some work runs, from /proc (Linux).
import { readProcStat, type ProcStat } from './proc-stat.ts';

export type ProcessUsage = Pick<ProcStat, 'cpuSeconds' | 'minorFaults'>;

/** Runs `work` and returns its result with what each process spent meanwhile. */
export async function withUsage<Name extends string, T>(
  pids: Record<Name, number>,
  work: () => Promise<T>,
): Promise<{ result: T; usage: Record<Name, ProcessUsage> }> {
  const entries = Object.entries(pids) as Array<[Name, number]>;
  const before = entries.map(([name, pid]) => ({ name, pid, start: readProcStat(pid) }));
  const result = await work();
  const usage = Object.fromEntries(
    before.map(({ name, pid, start }) => {
      const end = readProcStat(pid);
      return [
        name,
        { cpuSeconds: end.cpuSeconds - start.cpuSeconds, minorFaults: end.minorFaults - start.minorFaults },
      ];
    }),
  );
  return { result, usage: usage as Record<Name, ProcessUsage> };
}
