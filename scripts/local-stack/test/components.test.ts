import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { renderTemplate } from '../../lib/template.ts';
import { stackPlan } from '../components.ts';
import { stateLayout } from '../paths.ts';
import { chartEnvironment, chartMemoryLimitBytes, serviceEnvironments, serviceNames } from '../service-environments.ts';
import { ports } from '../ports.ts';
import { proberEnvironment } from '../prober.ts';

const planOptions = {
  layout: stateLayout('/tmp/components-test'),
  watch: false,
  embeddedS3: true,
  ingress: true,
  monitoring: true,
  sloRules: 'production',
  onProgress: () => undefined,
} as const;
const plan = stackPlan(planOptions);

describe('the local stack components', () => {
  it('are all there, in the dependency order the supervisor needs', () => {
    assert.deepEqual(
      plan.components.map(({ name }) => name),
      [
        'postgres',
        's3',
        's3-access',
        'redis',
        'database',
        'auth',
        'image',
        'api',
        'ingress',
        'prober',
        'edge-metrics',
        'alert-receiver',
        'alertmanager',
        'prometheus',
      ],
    );
  });

  it('start the image service only once its MinIO user and bucket exist (a step skipped with s3rver)', () => {
    const byName = new Map(plan.components.map((component) => [component.name, component]));
    assert.deepEqual(byName.get('s3-access')?.needs, ['s3']);
    assert.ok(byName.get('image')?.needs?.includes('s3-access'));
    assert.equal(plan.objectStore.kind, 's3rver');
    assert.match(byName.get('s3-access')?.skipped ?? '', /s3rver has no users/);
  });

  it('run what the images run (the bundles) unless they watch the sources', () => {
    const watched = stackPlan({ ...planOptions, watch: true });
    for (const name of [...serviceNames, 'prober']) {
      const entry = (components: typeof plan.components) =>
        components.find((component) => component.name === name)?.process?.args.at(-1);
      assert.equal(entry(plan.components), `services/${name}/dist/main.mjs`, name);
      assert.equal(entry(watched.components), `services/${name}/src/main.ts`, name);
    }
  });

  it('render every configuration template with a value for each placeholder', () => {
    const configs = plan.components.flatMap((component) => component.configs ?? []);
    assert.equal(configs.length, 3);
    for (const config of configs) assert.doesNotMatch(renderTemplate(config.template, config.values), /\$\{/);
  });

  it("give Prometheus this stack's metrics endpoints (the three services', the edge's and the prober's), its Alertmanager and the environment label", () => {
    const prometheus = plan.components.find(({ name }) => name === 'prometheus')?.configs?.[0];
    assert.ok(prometheus !== undefined);
    const config = parse(renderTemplate(prometheus.template, prometheus.values)) as {
      global: { external_labels?: Record<string, string> };
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
    };
    assert.deepEqual(
      Object.fromEntries(config.scrape_configs.map((job) => [job.job_name, job.static_configs[0]?.targets])),
      Object.fromEntries([
        ...serviceNames.map((name) => [name, [`127.0.0.1:${ports.metrics[name]}`]]),
        ['edge', [`127.0.0.1:${ports.edgeMetrics}`]],
        ['prober', [`127.0.0.1:${ports.metrics.prober}`]],
      ]),
    );
    assert.deepEqual(config.alerting.alertmanagers[0]?.static_configs[0]?.targets, [`127.0.0.1:${ports.alertmanager}`]);
    // Alertmanager groups pages per service and environment, and the notifications name it.
    assert.deepEqual(config.global.external_labels, { environment: 'local' }, 'every alert says it is local');
  });
});

describe('the journey prober in the local stack', () => {
  const byName = (components: typeof plan.components) => new Map(components.map((c) => [c.name, c]));

  it('starts after the ingress, and probes through it: https on its port, trusting the local CA', () => {
    const prober = byName(plan.components).get('prober');
    assert.deepEqual(prober?.needs, ['ingress']);
    const env = proberEnvironment({
      port: ports.prober,
      metricsPort: ports.metrics.prober,
      ingressPort: ports.ingress,
      caFile: '/state/tls/ca.pem',
      keysDir: '/state/data/keys',
    });
    assert.equal(env['PROBE_BASE_URL'], `https://localhost:${String(ports.ingress)}`);
    assert.equal(env['PROBE_CA_FILE'], '/state/tls/ca.pem');
    assert.equal(env['PROBE_PASSWORD_FILE'], '/state/data/keys/prober-password');
    assert.equal(env['PROBE_PASSWORD'], undefined, 'no password in the environment');
    assert.equal(env['METRICS_PORT'], String(ports.metrics.prober));
  });

  it('takes every setting of its chart but the cluster-only ones', () => {
    const chart = chartEnvironment('prober');
    const env = proberEnvironment({ port: 1, metricsPort: 2, ingressPort: 3, caFile: 'ca', keysDir: 'keys' });
    for (const [name, value] of Object.entries(chart)) {
      if (name === 'PROBE_BASE_URL') assert.notEqual(env[name], value);
      else if (value.includes('.svc.cluster.local')) assert.equal(env[name], undefined, `${name} is the cluster's`);
      else assert.equal(env[name], value, `${name} differs from helm/charts/prober/values.yaml`);
    }
    assert.equal(chart['PROBE_INTERVAL_MS'], '30000', 'a journey every 30 s');
  });

  it('does not run without the ingress', () => {
    const minimal = stackPlan({
      layout: stateLayout('/tmp/components-test'),
      watch: false,
      embeddedS3: true,
      ingress: false,
      monitoring: false,
      sloRules: 'production',
      onProgress: () => undefined,
    });
    assert.match(byName(minimal.components).get('prober')?.skipped ?? '', /through the ingress/);
  });
});

describe('the services’ local environment', () => {
  const environments = serviceEnvironments({
    ports,
    databaseUrls: { auth: 'postgresql://auth@127.0.0.1/platform', image: 'postgresql://image@127.0.0.1/platform' },
    objectStore: { endpoint: 'http://127.0.0.1:9000', accessKeyId: 'key', secretAccessKey: 'secret' },
    signingKeyFile: '/keys/jwt.pem',
  });

  for (const service of serviceNames) {
    it(`${service}: every setting of its chart, with local addresses only where the chart has cluster ones`, () => {
      const chart = chartEnvironment(service);
      const local = environments[service];
      for (const [name, value] of Object.entries(chart)) {
        if (value.includes('.svc.cluster.local') || name === 'PUBLIC_BASE_URL' || name === 'TRUST_PROXY') {
          assert.notEqual(local[name], value, `${name} keeps the cluster's value`);
        } else {
          assert.equal(local[name], value, `${name} differs from helm/charts/${service}/values.yaml`);
        }
      }
      assert.doesNotMatch(JSON.stringify(local), /cluster\.local/);
    });
  }

  it('gives the image service the memory limit of its chart’s pods, which sizes its concurrent uploads', () => {
    assert.equal(chartMemoryLimitBytes('image'), 512 * 1024 * 1024);
    assert.equal(environments.image['MEMORY_LIMIT_BYTES'], String(chartMemoryLimitBytes('image')));
  });

  it('takes NODE_OPTIONS of the services from their charts', () => {
    assert.equal(environments.auth['NODE_OPTIONS'], '--max-semi-space-size=1');
    assert.equal(environments.api['NODE_OPTIONS'], '--max-semi-space-size=1');
    assert.equal(environments.image['NODE_OPTIONS'], '--max-semi-space-size=1');
  });
});
