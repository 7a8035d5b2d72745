import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createServer } from 'node:net';
import { ensureLocalTls } from './certificates.ts';
import { migrateDatabase } from './migrations.ts';
import { monitoringAvailable, startMonitoring, type LocalMonitoring } from './monitoring.ts';
import { nginxAvailable, startIngress, type LocalIngress } from './nginx.ts';
import { startObjectStore, type LocalObjectStore } from './object-store.ts';
import { repoRoot, stateLayout, type StateLayout } from './paths.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from './postgres.ts';
import { ensureServiceRoles, type ServiceDatabaseUrls } from './roles.ts';
import { startServiceProcess, waitUntilReady, type ServiceProcess } from './service-process.ts';
import { ensureSigningKey } from './signing-key.ts';

export const serviceNames = ['auth', 'image', 'api'] as const;
export type ServiceName = (typeof serviceNames)[number];

/**
 * Every port the local stack uses, in one place. STACK_PORT_OFFSET shifts them all, so a second
 * stack (a benchmark next to a test run, say) can run beside the first in its own state folder.
 */
const portOffset = parsePortOffset(process.env['STACK_PORT_OFFSET']);
export const ports = {
  api: 3000 + portOffset,
  auth: 3001 + portOffset,
  image: 3002 + portOffset,
  metrics: { api: 9464 + portOffset, auth: 9465 + portOffset, image: 9466 + portOffset },
  postgres: 54320 + portOffset,
  s3: 9000 + portOffset,
  s3Console: 9001 + portOffset,
  ingress: 8443 + portOffset,
  prometheus: 9090 + portOffset,
  alertmanager: 9093 + portOffset,
  alertReceiver: 9095 + portOffset,
} as const;

function parsePortOffset(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const offset = Number(value);
  if (!Number.isInteger(offset) || offset < 0 || offset > 10_000) {
    throw new Error(`STACK_PORT_OFFSET must be a whole number from 0 to 10000, got "${value}"`);
  }
  return offset;
}

const mebibyte = 1024 * 1024;
export const maxUploadBytes = 1024 * mebibyte;
const bucket = 'images';
const readyTimeoutMs = 60_000;

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
  /** Run the TLS ingress when nginx is installed. */
  ingress: boolean;
  /** Run Prometheus, Alertmanager and the alert receiver when their binaries are installed. */
  monitoring: boolean;
  /** Which generated SLO rules Prometheus loads: the real ones, or the drill's compressed windows. */
  sloRules?: 'production' | 'drill';
  onProgress: (message: string) => void;
  onServiceLine?: (service: ServiceName, line: string) => void;
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
  postgres: { kind: 'embedded' | 'external'; url: string };
  s3: { kind: 'minio' | 's3rver'; endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string };
  prometheus: { url: string } | null;
  alertmanager: { url: string } | null;
  alertReceiver: { url: string; notificationsFile: string } | null;
}

export interface RunningStack {
  description: StackDescription;
  layout: StateLayout;
  postgres: EmbeddedPostgresServer | undefined;
  objectStore: LocalObjectStore;
  services: Record<ServiceName, ServiceProcess>;
  /** Stops one service (SIGTERM, drained); resolves with its exit code. */
  stopService: (name: ServiceName) => Promise<number | null>;
  /** Starts a stopped service, its environment changed by `envChanges`, and waits until it is ready. */
  startService: (name: ServiceName, envChanges?: Record<string, string>) => Promise<void>;
  /** stopService then startService; resolves with the exit code of the stopped process. */
  restartService: (name: ServiceName, envChanges?: Record<string, string>) => Promise<number | null>;
  /** Stops everything it started, services first. */
  stop: () => Promise<void>;
}

/** Brings the whole platform up on this machine: data stores, migrations, services, ingress. */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const layout = stateLayout(options.stateDir);
  const progress = options.onProgress;
  if (options.reset && existsSync(layout.root)) {
    progress(`wiping ${layout.root}`);
    // Everything but the lock, which the caller holds while this stack runs.
    for (const entry of readdirSync(layout.root)) {
      if (entry !== basename(layout.lockFile)) rmSync(join(layout.root, entry), { recursive: true, force: true });
    }
  }
  for (const dir of [layout.root, layout.logsDir, layout.objectsDir, layout.keysDir]) mkdirSync(dir, { recursive: true });
  await assertPortsFree(options);

  // Stopped in reverse order of starting; the services together, since each drains on its own.
  const stoppers: Array<{ name: string; stop: () => Promise<unknown> }> = [];
  const stopAll = async () => {
    const services = stoppers.filter(({ name }) => (serviceNames as readonly string[]).includes(name));
    const others = stoppers.filter((stopper) => !services.includes(stopper)).reverse();
    const stopOne = async ({ name, stop }: { name: string; stop: () => Promise<unknown> }) => {
      progress(`stopping ${name}`);
      await stop().catch((error: unknown) => { progress(`${name} did not stop cleanly: ${String(error)}`); });
    };
    const ingress = others.filter(({ name }) => name === 'ingress');
    for (const stopper of ingress) await stopOne(stopper);
    await Promise.all(services.map(stopOne));
    for (const stopper of others.filter((stopper) => !ingress.includes(stopper))) await stopOne(stopper);
  };
  try {
    progress(options.databaseUrl === undefined ? 'starting PostgreSQL (embedded)' : 'using the PostgreSQL at DATABASE_URL');
    const postgres =
      options.databaseUrl === undefined
        ? await startEmbeddedPostgres({ dataDir: layout.postgresDir, port: ports.postgres, database: 'platform' })
        : undefined;
    if (postgres !== undefined) stoppers.push({ name: 'postgres', stop: postgres.stop });
    const databaseUrl = options.databaseUrl ?? (postgres as EmbeddedPostgresServer).url;

    progress('starting S3');
    const objectStore = await startObjectStore({
      dataDir: layout.objectsDir,
      port: ports.s3,
      consolePort: ports.s3Console,
      logFile: `${layout.logsDir}/s3.log`,
      forceEmbedded: options.embeddedS3,
    });
    stoppers.push({ name: 's3', stop: objectStore.stop });
    progress(`S3 is ${objectStore.kind} at ${objectStore.endpoint}`);

    progress(`database migrations: ${await migrateDatabase(databaseUrl)}`);
    const databaseUrls = await ensureServiceRoles(databaseUrl, layout.keysDir, progress);

    const envs = serviceEnvironments({ databaseUrls, objectStore, signingKeyFile: ensureSigningKey(layout.keysDir) });
    const services = {} as Record<ServiceName, ServiceProcess>;
    const launchService = (name: ServiceName) =>
      startServiceProcess({
        name,
        entry: `services/${name}/src/main.ts`,
        env: envs[name],
        logFile: `${layout.logsDir}/${name}.log`,
        watch: options.watch,
        onLine: (line) => options.onServiceLine?.(name, line),
      });
    for (const name of serviceNames) {
      services[name] = launchService(name);
      stoppers.push({ name, stop: () => services[name].stop() });
    }
    progress('waiting for the services to be ready');
    const readiness = await Promise.all(
      serviceNames.map(async (name) => [name, await waitUntilReady(`http://127.0.0.1:${ports[name]}/readyz`, readyTimeoutMs, services[name].exited)] as const),
    );
    const notReady = readiness.filter(([, ready]) => !ready).map(([name]) => name);
    if (notReady.length > 0) throw new Error(`not ready after ${readyTimeoutMs / 1000} s: ${notReady.join(', ')} (see ${layout.logsDir})`);

    let ingress: LocalIngress | undefined;
    let caCertificate = '';
    if (options.ingress && nginxAvailable()) {
      progress('starting the TLS ingress (nginx)');
      const tls = await ensureLocalTls(layout.tlsDir);
      caCertificate = tls.caCertificate;
      ingress = await startIngress({ dir: layout.nginxDir, port: ports.ingress, apiPort: ports.api, tls, maxBodyBytes: maxUploadBytes + mebibyte });
      stoppers.push({ name: 'ingress', stop: ingress.stop });
    } else if (options.ingress) {
      progress('nginx is not installed: no TLS ingress (apt-get install nginx-light to get one)');
    }

    let monitoring: LocalMonitoring | undefined;
    if (options.monitoring && monitoringAvailable()) {
      progress('starting Prometheus, Alertmanager and the alert receiver');
      monitoring = await startMonitoring({
        dir: `${layout.root}/monitoring`,
        logsDir: layout.logsDir,
        prometheusPort: ports.prometheus,
        alertmanagerPort: ports.alertmanager,
        receiverPort: ports.alertReceiver,
        targets: Object.fromEntries(serviceNames.map((name) => [name, `127.0.0.1:${ports.metrics[name]}`])),
        rulesDir: `${repoRoot}/slo/${options.sloRules === 'drill' ? 'rules-drill' : 'rules'}`,
        intervalSeconds: 5,
      });
      stoppers.push({ name: 'monitoring', stop: monitoring.stop });
    } else if (options.monitoring) {
      progress('Prometheus/Alertmanager are not installed: no monitoring (apt-get install prometheus prometheus-alertmanager)');
    }

    const description: StackDescription = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stateDir: layout.root,
      services: Object.fromEntries(
        serviceNames.map((name) => [
          name,
          {
            url: `http://127.0.0.1:${ports[name]}`,
            health: `http://127.0.0.1:${ports[name]}/healthz`,
            ready: `http://127.0.0.1:${ports[name]}/readyz`,
            metrics: `http://127.0.0.1:${ports.metrics[name]}/metrics`,
            pid: services[name].pid,
            log: `${layout.logsDir}/${name}.log`,
            env: envs[name],
          },
        ]),
      ) as Record<ServiceName, ServiceEndpoint>,
      ingress: ingress === undefined ? null : { url: ingress.url, caCertificate },
      postgres: { kind: postgres === undefined ? 'external' : 'embedded', url: databaseUrl },
      s3: { kind: objectStore.kind, endpoint: objectStore.endpoint, bucket, accessKeyId: objectStore.accessKeyId, secretAccessKey: objectStore.secretAccessKey },
      prometheus: monitoring?.prometheus ?? null,
      alertmanager: monitoring?.alertmanager ?? null,
      alertReceiver: monitoring?.receiver ?? null,
    };
    const describe = () => { writeFileSync(layout.stackFile, `${JSON.stringify(description, null, 2)}\n`); };
    describe();
    const startService = async (name: ServiceName, envChanges: Record<string, string> = {}) => {
      envs[name] = { ...envs[name], ...envChanges };
      services[name] = launchService(name);
      if (!(await waitUntilReady(description.services[name].ready, readyTimeoutMs, services[name].exited))) {
        throw new Error(`${name} was not ready ${readyTimeoutMs / 1000} s after it started (see ${description.services[name].log})`);
      }
      description.services[name] = { ...description.services[name], pid: services[name].pid, env: envs[name] };
      describe();
    };
    return {
      description,
      layout,
      postgres,
      objectStore,
      services,
      stopService: (name) => services[name].stop(),
      startService,
      restartService: async (name, envChanges = {}) => {
        const exitCode = await services[name].stop();
        await startService(name, envChanges);
        return exitCode;
      },
      stop: async () => {
        rmSync(layout.stackFile, { force: true });
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

interface Dependencies {
  /** Each service's own least-privilege role (prisma/roles.sql); migrations use the admin URL. */
  databaseUrls: ServiceDatabaseUrls;
  objectStore: LocalObjectStore;
  signingKeyFile: string;
}

/**
 * V8 flags of the services that stream bytes (api, image). Every 64 KiB socket read is a fresh
 * Buffer, dead a moment later; under that allocation rate V8 grows the young generation to 16 MiB
 * semi-spaces and frees the chunks only when a scavenge finds them, so resident memory climbed by
 * tens of MiB during a large upload (npm run bench: memory.maxRssGrowthMB). A 1 MiB semi-space
 * keeps scavenges frequent, and cheap, since nearly everything in it is dead.
 */
export const streamingNodeOptions = '--max-semi-space-size=1';

/** Each service's environment: the same variables a deployment sets, with local values. */
export function serviceEnvironments({ databaseUrls, objectStore, signingKeyFile }: Dependencies): Record<ServiceName, Record<string, string>> {
  const jwksUrl = `http://127.0.0.1:${ports.auth}/.well-known/jwks.json`;
  const common = { HOST: '127.0.0.1', LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '10000' };
  return {
    auth: {
      ...common,
      PORT: String(ports.auth),
      METRICS_PORT: String(ports.metrics.auth),
      DATABASE_URL: databaseUrls.auth,
      JWT_SIGNING_KEY_FILE: signingKeyFile,
      // The seed's walk-through registers "password123", the 225th most common password: refuse only
      // the top 100 locally so it works verbatim. Deployments keep the default, the top 10,000.
      COMMON_PASSWORDS_REFUSED: '100',
    },
    image: {
      ...common,
      PORT: String(ports.image),
      METRICS_PORT: String(ports.metrics.image),
      DATABASE_URL: databaseUrls.image,
      JWKS_URL: jwksUrl,
      S3_ENDPOINT: objectStore.endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: objectStore.accessKeyId,
      S3_SECRET_ACCESS_KEY: objectStore.secretAccessKey,
      MAX_UPLOAD_BYTES: String(maxUploadBytes),
      NODE_OPTIONS: streamingNodeOptions,
    },
    api: {
      ...common,
      PORT: String(ports.api),
      METRICS_PORT: String(ports.metrics.api),
      AUTH_URL: `http://127.0.0.1:${ports.auth}`,
      IMAGE_URL: `http://127.0.0.1:${ports.image}`,
      JWKS_URL: jwksUrl,
      PUBLIC_BASE_URL: `http://localhost:${ports.api}`,
      TRUST_PROXY: 'loopback',
      MAX_UPLOAD_BYTES: String(maxUploadBytes),
      NODE_OPTIONS: streamingNodeOptions,
    },
  };
}

async function assertPortsFree(options: StackOptions): Promise<void> {
  const wanted: Array<[string, number]> = [
    ['api', ports.api],
    ['auth', ports.auth],
    ['image', ports.image],
    ['S3', ports.s3],
    ...(options.databaseUrl === undefined ? [['PostgreSQL', ports.postgres] as [string, number]] : []),
    ...(options.ingress ? [['ingress', ports.ingress] as [string, number]] : []),
    ...serviceNames.map((name) => [`${name} metrics`, ports.metrics[name]] as [string, number]),
    ...(options.monitoring
      ? ([['Prometheus', ports.prometheus], ['Alertmanager', ports.alertmanager], ['alert receiver', ports.alertReceiver]] as Array<[string, number]>)
      : []),
  ];
  const taken: string[] = [];
  for (const [name, port] of wanted) if (!(await portIsFree(port))) taken.push(`${port} (${name})`);
  if (taken.length > 0) throw new Error(`ports already in use: ${taken.join(', ')}. Stop whatever holds them, or the other stack.`);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => { resolve(false); });
    server.listen(port, '127.0.0.1', () => server.close(() => { resolve(true); }));
  });
}
