// Runs components declared as data (components.ts): starts them in dependency order, those whose needs
// are met together, waits for each with one function, and stops them in reverse order. Every stop is
// bounded (the component's grace, then SIGKILL), so stopping the whole stack always ends.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderTemplate } from '../lib/template.ts';
import { waitFor } from '../lib/wait.ts';
import { killLeftover, startChildProcess, type ChildProcessHandle } from './child-process.ts';
import { repoRoot } from './paths.ts';

export interface Component {
  name: string;
  /** Components that must be ready before this one starts (and that stop after it). */
  needs?: string[];
  /** Why it does not run this time (a flag, an external replacement); it then counts as ready. */
  skipped?: string | undefined;
  /** Work before each start: initialising data, certificates, checking a config. */
  prepare?: () => Promise<void> | void;
  /** Configuration files rendered from templates (${name} placeholders) before each start. */
  configs?: Array<{ template: string; file: string; values: Record<string, string | number> }>;
  /** A process of its own. */
  process?: {
    command: string;
    args: string[];
    env?: () => Record<string, string>;
    stopSignal?: NodeJS.Signals;
    /** Another user to run as, looked up at start (PostgreSQL's is created by its initialisation). */
    runAs?: (() => { uid: number; gid: number }) | undefined;
    /** Pass its output lines to the supervisor's onLine (the services' logs in the terminal). */
    echo?: boolean;
  };
  /** Or a server inside this process (the embedded S3 server). */
  inProcess?: { start: () => Promise<void>; stop: () => Promise<void> };
  /** Or a one-off step that others need (migrations). */
  run?: () => Promise<void>;
  /** True once it serves; polled after it starts. */
  ready?: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** How long a stop may take before SIGKILL. */
  stopGraceMs?: number;
}

export interface SupervisorOptions {
  logsDir: string;
  pidsDir: string;
  onProgress: (message: string) => void;
  onLine?: (component: string, line: string) => void;
  /** Aborting it ends a start-up early: what started is stopped and the start rejects. */
  signal?: AbortSignal;
}

export interface Supervisor {
  /** Stops everything started, dependents first; always resolves, within the components' grace periods. */
  stop: () => Promise<void>;
  /** Stops one component; resolves with its exit code (in-process servers: null). */
  stopComponent: (name: string) => Promise<number | null>;
  /** Starts a stopped component again, its environment changed by `envChanges`, and waits until it is ready. */
  startComponent: (name: string, envChanges?: Record<string, string>) => Promise<void>;
  /** The pid of a running process component. */
  pid: (name: string) => number | undefined;
  /** The environment a process component runs with. */
  env: (name: string) => Record<string, string>;
}

const defaultReadyTimeoutMs = 60_000;
const defaultStopGraceMs = 10_000;

export async function startComponents(components: Component[], options: SupervisorOptions): Promise<Supervisor> {
  const byName = new Map(components.map((component) => [component.name, component]));
  const waves = dependencyWaves(components);
  const processes = new Map<string, ChildProcessHandle>();
  const running = new Set<string>();
  const envChangesOf = new Map<string, Record<string, string>>();
  const logFile = (name: string) => join(options.logsDir, `${name}.log`);
  const pidFile = (name: string) => join(options.pidsDir, `${name}.json`);

  const envOf = (component: Component) => ({ ...component.process?.env?.(), ...envChangesOf.get(component.name) });

  const start = async (component: Component) => {
    await component.prepare?.();
    for (const config of component.configs ?? [])
      writeFileSync(config.file, renderTemplate(config.template, config.values));
    const stopRequested = () => (options.signal?.aborted === true ? 'stop requested' : undefined);
    let exited: () => string | undefined = () => undefined;
    if (component.process !== undefined) {
      const { command, args, stopSignal, runAs, echo } = component.process;
      const child = startChildProcess({
        command,
        args,
        env: envOf(component),
        cwd: repoRoot,
        logFile: logFile(component.name),
        pidFile: pidFile(component.name),
        stopSignal,
        runAs: runAs?.(),
        onLine: echo === true ? (line) => options.onLine?.(component.name, line) : undefined,
      });
      processes.set(component.name, child);
      running.add(component.name);
      exited = child.exitDescription;
    } else if (component.inProcess !== undefined) {
      await component.inProcess.start();
      running.add(component.name);
    } else {
      await component.run?.();
    }
    if (component.ready !== undefined) {
      const ready = component.ready;
      await waitFor(
        `${component.name} is not ready (see ${logFile(component.name)})`,
        () => ready().catch(() => false),
        {
          timeoutMs: component.readyTimeoutMs ?? defaultReadyTimeoutMs,
          giveUpIf: () => exited() ?? stopRequested(),
        },
      );
    }
  };

  const stop = async (component: Component): Promise<number | null> => {
    if (!running.delete(component.name)) return null;
    const graceMs = component.stopGraceMs ?? defaultStopGraceMs;
    const child = processes.get(component.name);
    if (child !== undefined) return child.stop(graceMs);
    await Promise.race([component.inProcess?.stop(), sleep(graceMs, undefined, { ref: false })]);
    return null;
  };

  const stopAll = async () => {
    for (const wave of [...waves].reverse()) {
      const stopping = wave.filter((component) => running.has(component.name));
      if (stopping.length === 0) continue;
      options.onProgress(`stopping ${stopping.map(({ name }) => name).join(', ')}`);
      await Promise.all(stopping.map(stop));
    }
  };

  try {
    for (const wave of waves) {
      const starting = wave.filter((component) => component.skipped === undefined);
      for (const component of wave)
        if (component.skipped !== undefined) options.onProgress(`${component.name}: ${component.skipped}`);
      if (starting.length === 0) continue;
      options.signal?.throwIfAborted();
      options.onProgress(`starting ${starting.map(({ name }) => name).join(', ')}`);
      // Settled, not raced: a failure stops the others only once each has started or failed.
      const failure = (await Promise.allSettled(starting.map(start))).find((result) => result.status === 'rejected');
      if (failure !== undefined) throw failure.reason;
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  const named = (name: string) => {
    const component = byName.get(name);
    if (component === undefined) throw new Error(`no component named ${name}`);
    return component;
  };
  return {
    stop: stopAll,
    stopComponent: (name) => stop(named(name)),
    startComponent: async (name, envChanges = {}) => {
      if (running.has(name)) throw new Error(`${name} is already running`);
      envChangesOf.set(name, { ...envChangesOf.get(name), ...envChanges });
      await start(named(name));
    },
    pid: (name) => (running.has(name) ? processes.get(name)?.pid : undefined),
    env: (name) => envOf(named(name)),
  };
}

/** Kills the processes a supervisor that was itself killed left behind (their pid files name them). */
export function killLeftovers(pidsDir: string, onProgress: (message: string) => void): void {
  if (!existsSync(pidsDir)) return;
  for (const file of readdirSync(pidsDir).filter((name) => name.endsWith('.json'))) {
    if (killLeftover(join(pidsDir, file)))
      onProgress(`killed the ${basename(file, '.json')} a killed stack left running`);
  }
}

/** The components grouped into waves: each wave needs only components of earlier waves. */
export function dependencyWaves(components: Component[]): Component[][] {
  const names = new Set(components.map(({ name }) => name));
  for (const component of components) {
    const unknown = (component.needs ?? []).filter((need) => !names.has(need));
    if (unknown.length > 0) throw new Error(`${component.name} needs unknown components: ${unknown.join(', ')}`);
  }
  const waves: Component[][] = [];
  const placed = new Set<string>();
  while (placed.size < components.length) {
    const wave = components.filter(
      (component) => !placed.has(component.name) && (component.needs ?? []).every((need) => placed.has(need)),
    );
    if (wave.length === 0) {
      const cycle = components.filter(({ name }) => !placed.has(name)).map(({ name }) => name);
      throw new Error(`components that need each other: ${cycle.join(', ')}`);
    }
    for (const { name } of wave) placed.add(name);
    waves.push(wave);
  }
  return waves;
}
