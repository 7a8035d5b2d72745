// The Tiltfile, evaluated. Tilt itself is not served by the Go module proxy here, so it is executed by the reference
// Starlark interpreter (go.starlark.net, the language Tilt embeds) with recording stand-ins for Tilt's built-ins
// (tiltfile/tilt-stubs.star). That proves it parses and runs, and shows what it declares: images, charts, resources,
// dependencies and port forwards, which are then checked against the repository.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { must, podTemplate, readText, renderEnvironment, repoRoot } from './lib/repo.ts';
import { evaluateTiltfile, type TiltCall } from './lib/tiltfile.ts';

describe('Tiltfile (cluster mode)', () => {
  const calls = evaluateTiltfile({});
  const of = (kind: string): TiltCall[] => calls.filter((c) => c.kind === kind);
  const resources = of('k8s_resource');
  const byName = (name: string): TiltCall =>
    must(resources.find((r) => r['workload'] === name || r['new_name'] === name));

  test('only ever talks to the kind cluster', () => {
    assert.deepEqual(
      of('allow_k8s_contexts').map((c) => c['contexts']),
      ['kind-platform'],
    );
  });

  test('deploys every chart the dev environment deploys, with the dev values', () => {
    const helm = of('helm');
    assert.deepEqual(helm.map((h) => h['name']).sort(), [
      'api',
      'auth',
      'edge',
      'image',
      'migrations',
      'minio',
      'platform',
      'postgres',
      'prober',
      'redis',
      'secrets',
      'slo',
    ]);
    for (const h of helm) {
      assert.ok(existsSync(join(repoRoot, String(h['path']), 'Chart.yaml')), String(h['path']));
      for (const values of h['values'] as string[]) {
        if (values.startsWith('.dev/')) continue; // written by the Tiltfile's own sops step
        assert.ok(existsSync(join(repoRoot, values)), values);
        assert.match(values, /^helm\/env\/dev\//);
      }
    }
    assert.ok(
      of('local').some((c) => /sops decrypt helm\/env\/dev\/secrets\.yaml/.test(String(c['command']))),
      'decrypts the dev secrets with sops',
    );
  });

  test('builds each service image from the one Dockerfile with live update syncing sources', () => {
    const builds = of('docker_build');
    assert.deepEqual(builds.map((b) => b['ref']).sort(), [
      'platform/api',
      'platform/auth',
      'platform/image',
      'platform/migrate',
      'platform/prober',
    ]);
    for (const build of builds) assert.equal(build['dockerfile'], 'Dockerfile');
    assert.ok(existsSync(join(repoRoot, 'Dockerfile')));
    assert.equal(must(builds.find((b) => b['ref'] === 'platform/migrate'))['target'], 'migrate');
    for (const service of ['api', 'auth', 'image', 'prober']) {
      const build = must(builds.find((b) => b['ref'] === `platform/${service}`));
      assert.deepEqual(build['build_args'], { SERVICE: service });
      assert.equal(build['target'], 'runtime');
      const syncs = (build['live_update'] as { step: string; local?: string; remote?: string }[]).filter(
        (s) => s.step === 'sync',
      );
      assert.ok(
        syncs.some((s) => s.local === `services/${service}/src` && s.remote === `/app/services/${service}/src`),
      );
      for (const s of syncs) assert.ok(existsSync(join(repoRoot, must(s.local))), s.local);
    }
    const helm = of('helm').filter((h) => ['api', 'auth', 'image', 'prober'].includes(String(h['name'])));
    for (const h of helm)
      assert.ok(
        (h['set'] as string[]).includes('liveUpdate.enabled=true'),
        `${String(h['name'])} restarts on synced changes`,
      );
  });

  test('every image it builds is one the dev charts use', () => {
    const images = renderEnvironment('dev').flatMap(
      (o) => podTemplate(o)?.spec.containers.map((c) => c.image.split(':')[0]) ?? [],
    );
    for (const build of of('docker_build'))
      assert.ok(images.includes(String(build['ref'])), `${String(build['ref'])} is deployed`);
  });

  test('resources are the dev workloads, labelled, with dependencies in start-up order', () => {
    const workloads = renderEnvironment('dev')
      .filter((o) => podTemplate(o))
      .map((o) => o.metadata.name)
      .sort();
    assert.deepEqual(
      resources
        .filter((r) => r['workload'])
        .map((r) => r['workload'])
        .sort(),
      workloads,
    );
    for (const r of resources)
      assert.ok((r['labels'] as string[]).length > 0, `${String(r['workload'] || r['new_name'])} has a label`);
    const names = new Set(resources.map((r) => (r['workload'] || r['new_name']) as string));
    for (const r of resources)
      for (const dep of r['resource_deps'] as string[]) assert.ok(names.has(dep), `${dep} exists`);
    assert.deepEqual(byName('migrate')['resource_deps'], ['postgres']);
    assert.ok((byName('auth')['resource_deps'] as string[]).includes('migrate'));
    assert.ok((byName('api')['resource_deps'] as string[]).includes('auth'));
  });

  test('grouped objects (name:kind[:namespace]) name objects the dev charts render', () => {
    const objects = renderEnvironment('dev');
    const grouped = resources.flatMap((r) => r['objects'] as string[]);
    assert.ok(grouped.length > 0);
    for (const selector of grouped) {
      const [name, kind, namespace] = selector.split(':');
      assert.ok(
        objects.some(
          (o) =>
            o.metadata.name === name &&
            o.kind.toLowerCase() === kind &&
            (namespace === undefined || o.metadata.namespace === namespace),
        ),
        selector,
      );
    }
  });

  test('port-forwards the services and data stores to their usual local ports', () => {
    assert.ok((byName('api')['port_forwards'] as string[]).includes('3000:3000'));
    assert.ok((byName('auth')['port_forwards'] as string[]).includes('3001:3001'));
    assert.ok((byName('image')['port_forwards'] as string[]).includes('3002:3002'));
    assert.ok((byName('postgres')['port_forwards'] as string[]).includes('5432:5432'));
    assert.ok((byName('edge')['port_forwards'] as string[]).includes('8443:8443'), `the edge's HTTPS entry point`);
  });

  test('the edge comes after the namespaces; every chart that uses the library chart has it vendored first', () => {
    assert.deepEqual(byName('edge')['resource_deps'], ['namespaces']);
    const built = of('local')
      .map((c) => /^helm dependency build helm\/charts\/(\S+)/.exec(String(c['command']))?.[1])
      .filter(Boolean)
      .sort();
    const users = readdirSync(join(repoRoot, 'helm/charts'))
      .filter(
        (chart) =>
          readText(`helm/charts/${chart}/Chart.yaml`).includes('name: platform-lib') && chart !== 'platform-lib',
      )
      .sort();
    assert.deepEqual(built, users);
  });
});

test('Tiltfile (local mode) runs the no-cluster local stack and nothing on a cluster', () => {
  const calls = evaluateTiltfile({ mode: 'local' });
  assert.deepEqual(
    calls
      .filter((c) => c.kind !== 'config.define_string')
      .map((c) => `${c.kind}:${typeof c['name'] === 'string' ? c['name'] : ''}`),
    ['local_resource:local-stack'],
  );
  assert.equal(must(calls.find((c) => c.kind === 'local_resource'))['serve_cmd'], 'npm run dev');
});
