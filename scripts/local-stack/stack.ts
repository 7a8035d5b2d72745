// The local stack as a whole: its components (components.ts) run by the supervisor, and stack.json,
// which tells tests, the benchmark and people where every part of it answers.
import { createServer } from 'node:net';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { stackPlan } from './components.ts';
import { stateLayout, type StateLayout } from './paths.ts';
import { ports } from './ports.ts';
import { serviceNames, type ServiceName } from './service-environments.ts';
import { killLeftovers, startComponents, type Supervisor } from './supervisor.ts';

export { ports } from './ports.ts';
export { serviceNames, type ServiceName } from './service-environments.ts';

export interface StackOptions {
  stateDir: string;
  /** Wipe the state folder (database, objects, keys, logs) first. */
  reset: boolean;
  /** Restart services when their sources change. */
  watch: boolean;
  /** Use this PostgreSQL instead of starting an embedded one. */
  databaseUrl?: string | undefined;
  /** Use the embedded S3 server even if MinIO is available. */
  embeddedS3: boolean;
  /** Run the TLS ingress. */
  ingress: boolean;
  /** Run Prometheus, Alertmanager and the alert receiver. */
  monitoring: boolean;
  /** Which generated SLO rules Prometheus loads: the real ones, or the drill's compressed windows. */
  sloRules?: 'production' | 'drill';
  /** Changes to the journey prober's environment (a test's shorter PROBE_INTERVAL_MS). */
  proberEnv?: Record<string, string>;
  /** Leave the prober out though the ingress runs (suites that count every request through the edge). */
  noProber?: boolean;
  /** Extra options for a service's Node (the benchmark's --cpu-prof). */
  serviceNodeOptions?: (service: ServiceName) => string[];
  onProgress: (message: string) => void;
  onServiceLine?: (service: ServiceName, line: string) => void;
  /** Aborting it during start-up stops what started and rejects. */
  signal?: AbortSignal;
}

export interface ServiceEndpoint {
  url: string;
  health: string;
  ready: string;
  metrics: string;
  pid: number | undefined;
  log: string;
  /** The environment it runs with: local, development-only values. */
  env: Record<string, string>;
}

/** What .dev/stack.json holds: how to reach every part of the running stack. */
export interface StackDescription {
  pid: number;
  startedAt: string;
  stateDir: string;
  services: Record<ServiceName, ServiceEndpoint>;
  ingress: { url: string; caCertificate: string } | null;
  /** mtail's count of the ingress's requests by status (the edge SLI), when the ingress runs and mtail is installed. */
  edgeMetrics: { url: string } | null;
  /** The journey prober (services/prober), which runs with the ingress only. */
  prober: ServiceEndpoint | null;
  postgres: { kind: 'embedded' | 'external'; url: string };
  s3: { kind: 'minio' | 's3rver'; endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string };
  /** Where auth's login and registration counters live: Redis, or (not installed) auth's memory. */
  redis: { url: string } | null;
  prometheus: { url: string } | null;
  alertmanager: { url: string } | null;
  alertReceiver: { url: string; notificationsFile: string } | null;
}

/** A component the fault drills stop and start again. */
export interface Restartable {
  stop: () => Promise<void>;
  start: () => Promise<void>;
}

export interface RunningStack {
  description: StackDescription;
  layout: StateLayout;
  /** The embedded PostgreSQL (undefined with DATABASE_URL). */
  postgres: Restartable | undefined;
  objectStore: Restartable;
  /** Stops one service (SIGTERM, drained); resolves with its exit code. */
  stopService: (name: ServiceName) => Promise<number | null>;
  /** Starts a stopped service, its environment changed by `envChanges`, and waits until it is ready. */
  startService: (name: ServiceName, envChanges?: Record<string, string>) => Promise<void>;
  /** stopService then startService; resolves with the exit code of the stopped process. */
  restartService: (name: ServiceName, envChanges?: Record<string, string>) => Promise<number | null>;
  /** Stops everything it started, dependents first. */
  stop: () => Promise<void>;
}

/** Brings the whole platform up on this machine: data stores, migrations, services, ingress, monitoring. */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const layout = stateLayout(options.stateDir);
  if (options.reset) wipeState(layout, options.onProgress);
  for (const dir of [layout.root, layout.logsDir, layout.objectsDir, layout.keysDir])
    mkdirSync(dir, { recursive: true });
  const plan = stackPlan({ ...options, layout, sloRules: options.sloRules ?? 'production' });
  killLeftovers(layout.pidsDir, options.onProgress);
  await assertPortsFree(plan.components.filter((component) => component.skipped === undefined).map(({ name }) => name));
  const supervisor = await startComponents(plan.components, {
    logsDir: layout.logsDir,
    pidsDir: layout.pidsDir,
    onProgress: options.onProgress,
    onLine: (component, line) => options.onServiceLine?.(component as ServiceName, line),
    signal: options.signal,
  });
  const running = (name: string) =>
    plan.components.some((component) => component.name === name && component.skipped === undefined);
  const description = describe(layout, supervisor, {
    ingress: running('ingress') ? (plan.tls()?.caCertificate ?? '') : undefined,
    edgeMetrics: running('edge-metrics'),
    prober: running('prober'),
    monitoring: running('prometheus'),
    postgres: { kind: running('postgres') ? 'embedded' : 'external', url: plan.databaseUrl },
    s3: plan.objectStore,
    redis: running('redis') ? `redis://127.0.0.1:${ports.redis}` : undefined,
  });
  const save = () => {
    for (const name of serviceNames) {
      description.services[name] = {
        ...description.services[name],
        pid: supervisor.pid(name),
        env: supervisor.env(name),
      };
    }
    if (description.prober !== null)
      description.prober = { ...description.prober, pid: supervisor.pid('prober'), env: supervisor.env('prober') };
    writeFileSync(layout.stackFile, `${JSON.stringify(description, null, 2)}\n`);
  };
  save();
  const restartable = (name: string): Restartable => ({
    stop: async () => {
      await supervisor.stopComponent(name);
    },
    start: () => supervisor.startComponent(name),
  });
  const startService = async (name: ServiceName, envChanges: Record<string, string> = {}) => {
    await supervisor.startComponent(name, envChanges);
    save();
  };
  return {
    description,
    layout,
    postgres: running('postgres') ? restartable('postgres') : undefined,
    objectStore: restartable('s3'),
    stopService: (name) => supervisor.stopComponent(name),
    startService,
    restartService: async (name, envChanges = {}) => {
      const exitCode = await supervisor.stopComponent(name);
      await startService(name, envChanges);
      return exitCode;
    },
    stop: async () => {
      rmSync(layout.stackFile, { force: true });
      await supervisor.stop();
    },
  };
}

/**
 * A fresh stack for a test suite or the benchmark: its state wiped, no live reload, MinIO; the ingress and
 * monitoring only when asked for.
 */
export function startFreshStack(stateDir: string, parts: Partial<StackOptions> = {}): Promise<RunningStack> {
  return startStack({
    stateDir,
    reset: true,
    watch: false,
    embeddedS3: false,
    ingress: false,
    monitoring: false,
    onProgress: () => undefined,
    ...parts,
  });
}

/** Everything in the state folder but the lock, which the caller holds while this stack runs. */
function wipeState(layout: StateLayout, onProgress: (message: string) => void): void {
  if (!existsSync(layout.root)) return;
  onProgress(`wiping ${layout.root}`);
  for (const entry of readdirSync(layout.root)) {
    if (entry !== basename(layout.lockFile)) rmSync(join(layout.root, entry), { recursive: true, force: true });
  }
}

interface Described {
  ingress: string | undefined;
  edgeMetrics: boolean;
  prober: boolean;
  monitoring: boolean;
  postgres: StackDescription['postgres'];
  s3: { kind: 'minio' | 's3rver'; endpoint: string; accessKeyId: string; secretAccessKey: string };
  redis: string | undefined;
}

function describe(layout: StateLayout, supervisor: Supervisor, parts: Described): StackDescription {
  const local = (port: number) => `http://127.0.0.1:${port}`;
  const endpoint = (name: string, port: number, metricsPort: number): ServiceEndpoint => ({
    url: local(port),
    health: `${local(port)}/healthz`,
    ready: `${local(port)}/readyz`,
    metrics: `${local(metricsPort)}/metrics`,
    pid: supervisor.pid(name),
    log: join(layout.logsDir, `${name}.log`),
    env: supervisor.env(name),
  });
  return {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    stateDir: layout.root,
    services: Object.fromEntries(
      serviceNames.map((name) => [name, endpoint(name, ports[name], ports.metrics[name])]),
    ) as Record<ServiceName, ServiceEndpoint>,
    ingress:
      parts.ingress === undefined ? null : { url: `https://localhost:${ports.ingress}`, caCertificate: parts.ingress },
    edgeMetrics: parts.edgeMetrics ? { url: `${local(ports.edgeMetrics)}/metrics` } : null,
    prober: parts.prober ? endpoint('prober', ports.prober, ports.metrics.prober) : null,
    postgres: parts.postgres,
    s3: {
      kind: parts.s3.kind,
      endpoint: parts.s3.endpoint,
      bucket: 'images',
      accessKeyId: parts.s3.accessKeyId,
      secretAccessKey: parts.s3.secretAccessKey,
    },
    redis: parts.redis === undefined ? null : { url: parts.redis },
    prometheus: parts.monitoring ? { url: local(ports.prometheus) } : null,
    alertmanager: parts.monitoring ? { url: local(ports.alertmanager) } : null,
    alertReceiver: parts.monitoring
      ? { url: local(ports.alertReceiver), notificationsFile: join(layout.root, 'monitoring/notifications.jsonl') }
      : null,
  };
}

/** The ports of the components about to start, checked free first, so a clash is one clear message. */
async function assertPortsFree(components: string[]): Promise<void> {
  const portsOf: Record<string, Array<[string, number]>> = {
    postgres: [['PostgreSQL', ports.postgres]],
    s3: [['S3', ports.s3]],
    redis: [['Redis', ports.redis]],
    ingress: [['ingress', ports.ingress]],
    'edge-metrics': [['edge metrics', ports.edgeMetrics]],
    prometheus: [['Prometheus', ports.prometheus]],
    alertmanager: [['Alertmanager', ports.alertmanager]],
    'alert-receiver': [['alert receiver', ports.alertReceiver]],
    prober: [
      ['prober', ports.prober],
      ['prober metrics', ports.metrics.prober],
    ],
    ...Object.fromEntries(
      serviceNames.map((name) => [
        name,
        [
          [name, ports[name]],
          [`${name} metrics`, ports.metrics[name]],
        ],
      ]),
    ),
  };
  const taken: string[] = [];
  for (const [name, port] of components.flatMap((component) => portsOf[component] ?? [])) {
    if (!(await portIsFree(port))) taken.push(`${port} (${name})`);
  }
  if (taken.length > 0)
    throw new Error(`ports already in use: ${taken.join(', ')}. Stop whatever holds them, or the other stack.`);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, '127.0.0.1', () =>
      server.close(() => {
        resolve(true);
      }),
    );
  });
}
