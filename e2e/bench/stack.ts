// The stack a benchmark runs against: the one already running in the given state folder (when it
// listens on this run's ports), else a fresh one in .dev/bench that is stopped afterwards.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { acquireLock, runningStackPid } from '../../scripts/local-stack/lock.ts';
import { stateLayout } from '../../scripts/local-stack/paths.ts';
import {
  ports,
  serviceNames,
  startFreshStack,
  type ServiceName,
  type StackDescription,
} from '../../scripts/local-stack/stack.ts';
import { readProcStat } from './proc-stat.ts';

export const benchStateDir = '.dev/bench';

export interface BenchStack {
  description: StackDescription;
  /** Whether this run started the stack (and so stops it). */
  owned: boolean;
  /** The pid of each service's own Node process (under `node --watch`, the child, not the watcher). */
  servicePids: Record<ServiceName, number>;
  stop: () => Promise<void>;
}

/** A running stack described in `stateDir`, if its API listens on this run's port (STACK_PORT_OFFSET). */
export function runningStack(stateDir: string): StackDescription | undefined {
  const layout = stateLayout(stateDir);
  if (runningStackPid(layout.lockFile) === undefined || !existsSync(layout.stackFile)) return undefined;
  const description = JSON.parse(readFileSync(layout.stackFile, 'utf8')) as StackDescription;
  return new URL(description.services.api.url).port === String(ports.api) ? description : undefined;
}

export async function acquireStack(options: {
  stateDir: string;
  fresh: boolean;
  onProgress: (message: string) => void;
  /** For a fresh stack: extra options for each service's Node. */
  serviceNodeOptions?: (service: ServiceName) => string[];
}): Promise<BenchStack> {
  const existing = options.fresh ? undefined : runningStack(options.stateDir);
  if (existing !== undefined) {
    options.onProgress(`using the running stack in ${existing.stateDir}`);
    return { description: existing, owned: false, servicePids: servicePids(existing), stop: () => Promise.resolve() };
  }
  const layout = stateLayout(benchStateDir);
  const lock = acquireLock(layout.lockFile);
  options.onProgress(`starting a fresh stack in ${benchStateDir} (API on port ${ports.api})`);
  try {
    const stack = await startFreshStack(benchStateDir, {
      ...(options.serviceNodeOptions === undefined ? {} : { serviceNodeOptions: options.serviceNodeOptions }),
      onProgress: (message) => {
        options.onProgress(`stack: ${message}`);
      },
    });
    return {
      description: stack.description,
      owned: true,
      servicePids: servicePids(stack.description),
      stop: async () => {
        await stack.stop();
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** The pid of each service's own Node process in a stack (under `node --watch`, the child). */
export function servicePids(description: StackDescription): Record<ServiceName, number> {
  return Object.fromEntries(
    serviceNames.map((name) => {
      const pid = description.services[name].pid;
      if (pid === undefined) throw new Error(`stack.json names no pid for ${name}`);
      return [name, innermostProcess(pid)];
    }),
  ) as Record<ServiceName, number>;
}

/** Follows single children down (node --watch runs the service as its child); Linux /proc. */
function innermostProcess(pid: number): number {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readProcStat(Number(entry)).parentPid === pid;
      } catch {
        return false;
      }
    });
  return children.length === 1 ? innermostProcess(Number(children[0])) : pid;
}
