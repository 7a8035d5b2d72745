// Resident memory of the service processes, from /proc (Linux).
import { readFileSync, writeFileSync } from 'node:fs';

const kibibytesOf = (status: string, field: string): number =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);

const status = (pid: number) => readFileSync(`/proc/${pid}/status`, 'utf8');

/** Current resident set size in MiB. */
export const rssMb = (pid: number): number => kibibytesOf(status(pid), 'VmRSS') / 1024;

export type PeakRss<Name extends string> = Record<Name, { beforeMb: number; peakMb: number }>;

/**
 * Watches the peak resident memory of processes while something runs. The kernel's high-water mark
 * (VmHWM) is reset first through clear_refs where allowed, and VmRSS is polled as well, so the peak
 * is exact where the kernel helps and within one poll interval where it does not.
 */
export function watchPeakRss<Name extends string>(
  pids: Record<Name, number>,
  intervalMs = 5,
): { stop: () => PeakRss<Name> } {
  const entries = Object.entries(pids) as Array<[Name, number]>;
  const before = new Map<Name, number>();
  const peak = new Map<Name, number>();
  const highWaterReset = new Set<Name>();
  for (const [name, pid] of entries) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      highWaterReset.add(name);
    } catch {
      // Not allowed: polling alone then (VmHWM would be the peak since the process started).
    }
    const rss = rssMb(pid);
    before.set(name, rss);
    peak.set(name, rss);
  }
  const poll = () => {
    for (const [name, pid] of entries) peak.set(name, Math.max(peak.get(name) ?? 0, rssMb(pid)));
  };
  const timer = setInterval(poll, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      poll();
      return Object.fromEntries(
        entries.map(([name, pid]) => {
          const highWater = highWaterReset.has(name) ? kibibytesOf(status(pid), 'VmHWM') / 1024 : 0;
          return [name, { beforeMb: before.get(name) ?? Number.NaN, peakMb: Math.max(peak.get(name) ?? 0, highWater) }];
        }),
      ) as PeakRss<Name>;
    },
  };
}
