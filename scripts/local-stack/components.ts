// The local stack, component by component: what runs, with which environment and configuration, what
// it needs first and how it is known to be ready. The supervisor (supervisor.ts) starts them in
// dependency order and stops them in reverse; stack.ts describes the running whole in stack.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_CONFIG, renderLocalConfig } from '../../slo/alertmanager/render-local.ts';
import { bundleEntry, ensureBundles } from '../bundle.ts';
import { ensureLocalTls, type LocalTls } from './certificates.ts';
import { migrateDatabase } from './migrations.ts';
import { objectStore, type ObjectStore } from './object-store.ts';
import { objectStoreAccess } from './object-store-access.ts';
import { repoRoot, type StateLayout } from './paths.ts';
import { ports } from './ports.ts';
import { proberComponent } from './prober.ts';
import { ensureDatabase, postgresComponent, postgresUrl } from './postgres.ts';
import { httpOk, tcpOpen } from './probes.ts';
import { localRedis, type LocalRedis } from './redis.ts';
import { ensureServiceRoles, type ServiceDatabaseUrls } from './roles.ts';
import {
  chartEnvironment,
  ingressMaxBodyBytes,
  serviceEnvironments,
  serviceNames,
  type ServiceName,
} from './service-environments.ts';
import { ensureSigningKey } from './signing-key.ts';
import type { Component } from './supervisor.ts';

export interface StackPlanOptions {
  layout: StateLayout;
  /** Restart services when their sources change (node --watch). */
  watch: boolean;
  /** Use this PostgreSQL instead of starting one. */
  databaseUrl?: string | undefined;
  embeddedS3: boolean;
  ingress: boolean;
  monitoring: boolean;
  sloRules: 'production' | 'drill';
  /** Changes to the prober's environment (tests shorten PROBE_INTERVAL_MS). */
  proberEnv?: Record<string, string> | undefined;
  /** Leave the prober out though the ingress runs (suites that count every request through the edge). */
  noProber?: boolean | undefined;
  /** Extra options for a service's Node (the benchmark's --cpu-prof). */
  serviceNodeOptions?: ((service: ServiceName) => string[]) | undefined;
  onProgress: (message: string) => void;
}

export interface StackPlan {
  components: Component[];
  databaseUrl: string;
  objectStore: ObjectStore;
  /** The store of auth's login and registration counters (its url is undefined when Redis is not installed). */
  redis: LocalRedis;
  tls: () => LocalTls | undefined;
  /** Each service's environment, once the database step has made its credentials. */
  environments: () => Record<ServiceName, Record<string, string>>;
}

const database = 'platform';
const monitoringIntervalSeconds = 5;

export function stackPlan(options: StackPlanOptions): StackPlan {
  const { layout } = options;
  const databaseUrl = options.databaseUrl ?? postgresUrl(ports.postgres, database);
  const s3 = objectStore({
    dataDir: layout.objectsDir,
    port: ports.s3,
    consolePort: ports.s3Console,
    forceEmbedded: options.embeddedS3,
  });
  // Redis is a data store: it runs with --minimal too, whenever it is installed.
  const redis = localRedis({ dir: layout.redisDir, port: ports.redis, skipped: missingCommands(['redis-server']) });
  const monitoringDir = join(layout.root, 'monitoring');
  let databaseUrls: ServiceDatabaseUrls | undefined;
  let tls: LocalTls | undefined;
  const environments = () => {
    if (databaseUrls === undefined) throw new Error('the services need the database step first');
    return serviceEnvironments({
      ports,
      databaseUrls,
      objectStore: { endpoint: s3.endpoint, ...s3.imageService },
      signingKeyFile: join(layout.keysDir, 'jwt-signing-key.pem'),
      redisUrl: redis.url,
    });
  };
  const service = (name: ServiceName, needs: string[]): Component => ({
    name,
    needs,
    prepare: async () => {
      if (name === 'auth') ensureSigningKey(layout.keysDir);
      if (!options.watch) await ensureBundles();
    },
    process: {
      command: process.execPath,
      args: [
        ...(options.watch ? ['--watch', '--watch-preserve-output'] : []),
        ...(options.serviceNodeOptions?.(name) ?? []),
        // Watched, the sources; otherwise the bundle the service's image runs (scripts/bundle.ts).
        options.watch ? `services/${name}/src/main.ts` : bundleEntry(name),
      ],
      env: () => environments()[name],
      echo: true,
    },
    ready: httpOk(`http://127.0.0.1:${ports[name]}/readyz`),
    // Its own drain (SHUTDOWN_GRACE_MS) and a little more.
    stopGraceMs: 15_000,
  });
  const monitoringSkipped = !options.monitoring
    ? 'not started (--minimal or --no-monitoring)'
    : missingCommands(['prometheus', 'prometheus-alertmanager']);

  const ingressSkipped = !options.ingress ? 'not started (--minimal or --no-ingress)' : missingCommands(['nginx']);
  const edgeMetricsSkipped =
    ingressSkipped === undefined ? missingCommands(['mtail']) : 'no ingress to count (see the ingress line)';

  const components: Component[] = [
    postgresComponent({
      dataDir: layout.postgresDir,
      port: ports.postgres,
      skipped: options.databaseUrl === undefined ? undefined : 'using the PostgreSQL at DATABASE_URL',
    }),
    s3.component,
    objectStoreAccess(s3, {
      bucket: imageBucket(),
      configDir: join(layout.root, 'mc'),
      onProgress: options.onProgress,
    }),
    redis.component,
    {
      name: 'database',
      needs: ['postgres'],
      run: async () => {
        if (options.databaseUrl === undefined) await ensureDatabase(ports.postgres, database);
        options.onProgress(`database migrations: ${await migrateDatabase(databaseUrl)}`);
        databaseUrls = await ensureServiceRoles(databaseUrl, layout.keysDir, options.onProgress);
      },
    },
    service('auth', ['database', 'redis']),
    service('image', ['database', 's3-access']),
    // The gateway's readiness checks no upstream, but it is useless without them, and stops before them.
    service('api', ['auth', 'image']),
    {
      name: 'ingress',
      needs: ['api'],
      skipped: ingressSkipped,
      prepare: async () => {
        tls = await ensureLocalTls(layout.tlsDir);
        mkdirSync(join(layout.nginxDir, 'tmp'), { recursive: true });
      },
      configs: [
        {
          template: join(repoRoot, 'scripts/local-stack/config/nginx.conf'),
          file: join(layout.nginxDir, 'nginx.conf'),
          values: {
            dir: layout.nginxDir,
            port: ports.ingress,
            apiPort: ports.api,
            certificate: join(layout.tlsDir, 'server.pem'),
            privateKey: join(layout.tlsDir, 'server-key.pem'),
            maxBodyBytes: ingressMaxBodyBytes,
          },
        },
      ],
      process: {
        command: 'nginx',
        args: ['-p', layout.nginxDir, '-c', join(layout.nginxDir, 'nginx.conf'), '-g', 'daemon off;'],
        // A graceful stop: open connections finish.
        stopSignal: 'SIGQUIT',
      },
      ready: tcpOpen(ports.ingress),
      stopGraceMs: 5_000,
    },
    // Walks the user journey through the ingress (services/prober): after it, and only with it.
    proberComponent({
      port: ports.prober,
      metricsPort: ports.metrics.prober,
      ingressPort: ports.ingress,
      caFile: join(layout.tlsDir, 'ca.pem'),
      keysDir: layout.keysDir,
      watch: options.watch,
      skipped:
        ingressSkipped !== undefined
          ? 'not started: it probes through the ingress, which does not run'
          : options.noProber === true
            ? 'not started (asked not to)'
            : undefined,
      envChanges: options.proberEnv,
    }),
    {
      // The edge SLI's counter: mtail follows the ingress's access log (log_format edge) from its end.
      name: 'edge-metrics',
      needs: ['ingress'],
      skipped: edgeMetricsSkipped,
      process: {
        command: 'mtail',
        args: [
          '--progs',
          join(repoRoot, 'scripts/local-stack/config/edge.mtail'),
          '--logs',
          join(layout.nginxDir, 'access.log'),
          '--address',
          '127.0.0.1',
          '--port',
          String(ports.edgeMetrics),
          '--logtostderr',
        ],
      },
      ready: httpOk(`http://127.0.0.1:${ports.edgeMetrics}/metrics`),
    },
    {
      name: 'alert-receiver',
      skipped: monitoringSkipped,
      process: {
        command: process.execPath,
        args: [
          'slo/receiver/main.ts',
          '--port',
          String(ports.alertReceiver),
          '--out',
          join(monitoringDir, 'notifications.jsonl'),
        ],
      },
      ready: httpOk(`http://127.0.0.1:${ports.alertReceiver}/healthz`),
    },
    {
      name: 'alertmanager',
      needs: ['alert-receiver'],
      skipped: monitoringSkipped,
      // slo/alertmanager/alertmanager.local.yml, its webhooks pointed at this stack's receiver.
      prepare: () => {
        mkdirSync(join(monitoringDir, 'alertmanager-data'), { recursive: true });
        const config = renderLocalConfig(readFileSync(LOCAL_CONFIG, 'utf8'), `http://127.0.0.1:${ports.alertReceiver}`);
        writeFileSync(join(monitoringDir, 'alertmanager.yml'), config);
      },
      process: {
        command: 'prometheus-alertmanager',
        args: [
          `--config.file=${join(monitoringDir, 'alertmanager.yml')}`,
          `--storage.path=${join(monitoringDir, 'alertmanager-data')}`,
          `--web.listen-address=127.0.0.1:${ports.alertmanager}`,
          '--cluster.listen-address=',
        ],
      },
      ready: httpOk(`http://127.0.0.1:${ports.alertmanager}/-/ready`),
    },
    {
      name: 'prometheus',
      needs: ['alertmanager'],
      skipped: monitoringSkipped,
      prepare: () => void mkdirSync(join(monitoringDir, 'prometheus-data'), { recursive: true }),
      configs: [
        {
          template: join(repoRoot, 'scripts/local-stack/config/prometheus.yml'),
          file: join(monitoringDir, 'prometheus.yml'),
          values: {
            intervalSeconds: monitoringIntervalSeconds,
            rulesDir: join(repoRoot, options.sloRules === 'drill' ? 'slo/rules-drill' : 'slo/rules'),
            alertmanagerPort: ports.alertmanager,
            edgeMetricsPort: ports.edgeMetrics,
            ...Object.fromEntries(serviceNames.map((name) => [`${name}MetricsPort`, ports.metrics[name]])),
            proberMetricsPort: ports.metrics.prober,
          },
        },
      ],
      process: {
        command: 'prometheus',
        args: [
          `--config.file=${join(monitoringDir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(monitoringDir, 'prometheus-data')}`,
          `--web.listen-address=127.0.0.1:${ports.prometheus}`,
          '--web.enable-lifecycle',
        ],
      },
      ready: httpOk(`http://127.0.0.1:${ports.prometheus}/-/ready`),
    },
  ];
  return { components, databaseUrl, objectStore: s3, redis, tls: () => tls, environments };
}

/** The image service's bucket, as its chart names it for every environment. */
function imageBucket(): string {
  const bucket = chartEnvironment('image')['S3_BUCKET'];
  if (bucket === undefined) throw new Error('helm/charts/image/values.yaml sets no S3_BUCKET');
  return bucket;
}

/** Why a component cannot run here: the commands it needs that are not installed (scripts/tools/install.sh). */
function missingCommands(commands: string[]): string | undefined {
  const missing = commands.filter(
    (command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).error !== undefined,
  );
  return missing.length === 0
    ? undefined
    : `not installed: ${missing.join(', ')} (bash scripts/tools/install.sh ${missing.join(' ')})`;
}
