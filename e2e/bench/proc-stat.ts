// The few fields of /proc/<pid>/stat (Linux) the benchmark reads.
import { readFileSync } from 'node:fs';

/** Linux reports process times in USER_HZ ticks, 100 a second on every architecture it exports them on. */
const ticksPerSecond = 100;

export interface ProcStat {
  parentPid: number;
  /** Pages the kernel had to map in without I/O: memory touched for the first time, or again after it was given back. */
  minorFaults: number;
  /** User plus system CPU seconds since the process started. */
  cpuSeconds: number;
}

export function readProcStat(pid: number): ProcStat {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command (which may hold spaces) start after its last ')': state, ppid, ...
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    parentPid: Number(fields[1]),
    minorFaults: Number(fields[7]),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond,
  };
}
