// The ApplicationSet expanded as its controller would: each generated Application is valid, points at a chart
// and values files that exist, is allowed by its AppProject, and syncs the way its environment should.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { validateCustomResource } from './lib/crd.ts';
import { mergePatch, renderTemplate, renderValue } from './lib/gotemplate.ts';
import { gatewayApiVersion } from './lib/gateway-api.ts';
import {
  applicationSet,
  components,
  environments,
  type K8sObject,
  must,
  parseDocuments,
  podTemplate,
  readText,
  render,
  renderEnvironment,
  repoRoot,
} from './lib/repo.ts';

type Application = K8sObject & {
  spec: {
    project: string;
    source: {
      repoURL: string;
      path: string;
      targetRevision: string;
      helm: { valueFiles: string[]; releaseName: string };
    };
    destination: { name?: string; server?: string; namespace: string };
    syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean }; retry?: unknown };
  };
};
type Project = K8sObject & {
  spec: { sourceRepos: string[]; destinations: { name?: string; server?: string; namespace: string }[] };
};

function generate(): Application[] {
  const set = applicationSet();
  const [envs, comps] = set.spec.generators[0].matrix.generators;
  const apps: Application[] = [];
  for (const env of envs.list.elements) {
    for (const component of comps.list.elements) {
      const params = { ...env, ...component } as Record<string, unknown>;
      let app = renderValue(set.spec.template, params) as Record<string, unknown>;
      if (set.spec.templatePatch) {
        const patch = parse(renderTemplate(set.spec.templatePatch, params)) as Record<string, unknown> | null;
        if (patch) app = mergePatch(app, patch);
      }
      apps.push({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...app } as Application);
    }
  }
  return apps;
}

const apps = generate();
const projects = parseDocuments(readText('argocd/projects.yaml')) as Project[];

describe('ArgoCD ApplicationSet', () => {
  test('generates one Application per component and environment', () => {
    assert.equal(apps.length, 24);
    assert.equal(new Set(apps.map((a) => a.metadata.name)).size, apps.length, 'names are unique');
    for (const env of environments)
      assert.equal(apps.filter((a) => a.metadata.labels?.['platform/env'] === env).length, 12);
  });

  for (const app of apps) {
    describe(app.metadata.name, () => {
      test('is a valid Application', () => {
        validateCustomResource(app);
      });

      test('points at a chart and values files that exist', () => {
        const chart = join(repoRoot, app.spec.source.path);
        assert.ok(existsSync(join(chart, 'Chart.yaml')), `${app.spec.source.path}/Chart.yaml`);
        for (const file of app.spec.source.helm.valueFiles) {
          const path = file.replace(/^secrets:\/\//, '');
          assert.ok(existsSync(join(chart, path)), `${file} (relative to the chart)`);
          if (file.startsWith('secrets://'))
            assert.match(readText(join(app.spec.source.path, path)), /^sops:/m, `${file} is SOPS-encrypted`);
        }
      });

      test('is allowed by its AppProject', () => {
        const project = projects.find((p) => p.metadata.name === app.spec.project);
        assert.ok(project, `AppProject ${app.spec.project}`);
        assert.ok(project.spec.sourceRepos.includes(app.spec.source.repoURL), 'source repository allowed');
        assert.ok(
          project.spec.destinations.some(
            (d) => d.namespace === app.spec.destination.namespace && d.name === app.spec.destination.name,
          ),
          `destination ${app.spec.destination.name}/${app.spec.destination.namespace} allowed`,
        );
      });

      test('syncs as its environment should', () => {
        const env = must(app.metadata.labels)['platform/env'];
        if (env === 'dev') assert.deepEqual(app.spec.syncPolicy?.automated, { prune: true, selfHeal: true });
        else
          assert.equal(
            app.spec.syncPolicy?.automated,
            undefined,
            'prod is synced after a reviewed change, not automatically',
          );
        assert.ok(app.spec.syncPolicy?.retry, 'retries with backoff');
        assert.match(app.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? '', /^\d+$/);
      });
    });
  }

  test('sync waves order secrets and namespaces, data and the edge, migrations, services, SLO rules', () => {
    const wave = (component: string): number =>
      Number(
        must(must(apps.find((a) => a.metadata.labels?.['platform/component'] === component)).metadata.annotations)[
          'argocd.argoproj.io/sync-wave'
        ],
      );
    assert.ok(wave('platform') < wave('postgres') && wave('secrets') < wave('postgres'));
    assert.ok(
      wave('platform') < wave('edge') && wave('edge') < wave('api'),
      'the edge after its namespace and issuer, before the route it serves',
    );
    assert.ok(wave('postgres') < wave('migrations') && wave('minio') < wave('migrations'));
    assert.ok(wave('secrets') < wave('redis') && wave('redis') < wave('auth'), 'Redis before auth, which counts in it');
    for (const service of ['auth', 'image', 'api'])
      assert.ok(wave('migrations') < wave(service) && wave(service) < wave('slo'));
    // The journey prober goes through the edge to the api: it comes after them, with the SLO rules that read it.
    assert.ok(wave('api') < wave('prober') && wave('edge') < wave('prober') && wave('prober') <= wave('slo'));
  });

  test('inside an Application, a workload syncs after the ServiceAccount its pods use', () => {
    // Argo CD applies the rest of a failed wave (a namespace created mid-sync, say): a workload in the same wave
    // as its ServiceAccount can exist without it, and its controller backs off creating pods for minutes.
    const objectWave = (object: K8sObject) =>
      Number(object.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
    const isHook = (object: K8sObject) => object.metadata.annotations?.['argocd.argoproj.io/hook'] !== undefined;
    for (const env of environments)
      for (const component of components()) {
        const objects = render(env, component).filter((o) => !isHook(o));
        const prerequisites = objects.filter((o) => o.kind === 'ServiceAccount');
        for (const workload of objects.filter((o) => podTemplate(o) !== undefined))
          for (const prerequisite of prerequisites)
            assert.ok(
              objectWave(prerequisite) < objectWave(workload),
              `${env} ${component.component}: ${workload.kind} ${workload.metadata.name} syncs in wave ${objectWave(workload)}, not after ${prerequisite.kind} ${prerequisite.metadata.name} (wave ${objectWave(prerequisite)})`,
            );
      }
  });

  test('prod runs the image tags pinned in helm/env/prod (no floating tags)', () => {
    for (const service of ['api', 'auth', 'image', 'migrations', 'prober']) {
      const values = parse(readText(`helm/env/prod/${service}.yaml`)) as { image: { tag: string } };
      assert.match(values.image.tag, /^\d+\.\d+\.\d+$/, `${service} prod tag is a release version`);
    }
  });

  test('the AppProject for the platform allows only the platform namespaces and exactly the kinds the charts render', () => {
    const platform = must(projects.find((p) => p.metadata.name === 'platform'));
    const namespaces = new Set(platform.spec.destinations.map((d) => d.namespace));
    assert.deepEqual([...namespaces].sort(), [
      'api-ns',
      'auth-ns',
      'cert-manager',
      'data-ns',
      'image-ns',
      'ingress-ns',
      'monitoring-ns',
      'node-exporter-ns',
      'prober-ns',
    ]);
    assert.ok(!JSON.stringify(platform.spec).includes('"*"'), 'no wildcards');
    type Kinds = { group: string; kind: string }[];
    const whitelist = (list: Kinds): string[] => list.map((k) => `${k.group}/${k.kind}`).sort();
    const spec = platform.spec as unknown as { clusterResourceWhitelist: Kinds; namespaceResourceWhitelist: Kinds };
    const rendered = environments.flatMap((env) => renderEnvironment(env));
    // Cluster-scoped objects are the ones the charts give no namespace.
    const kinds = (clusterScoped: boolean): string[] =>
      [
        ...new Set(
          rendered
            .filter((o) => (o.metadata.namespace === undefined) === clusterScoped)
            .map((o) => `${o.apiVersion.includes('/') ? must(o.apiVersion.split('/')[0]) : ''}/${o.kind}`),
        ),
      ].sort();
    assert.deepEqual(whitelist(spec.clusterResourceWhitelist), kinds(true), 'cluster-scoped kinds');
    assert.deepEqual(whitelist(spec.namespaceResourceWhitelist), kinds(false), 'namespaced kinds');
  });
});

describe('ArgoCD add-ons', () => {
  type Source = {
    repoURL: string;
    chart?: string;
    path?: string;
    targetRevision: string;
    helm?: { valueFiles: string[] };
  };
  type AddOn = { spec: { project: string; source?: Source; sources?: Source[] } };
  const addOns = readdirSync(join(repoRoot, 'argocd/addons'));
  const addOnsProject = must(projects.find((p) => p.metadata.name === 'platform-addons'));

  test('the add-ons: Gateway API CRDs, cert-manager, kube-prometheus-stack (ingress-nginx is retired)', () => {
    assert.deepEqual(addOns, ['cert-manager.yaml', 'gateway-api.yaml', 'kube-prometheus-stack.yaml']);
  });

  for (const file of addOns) {
    test(`${file}: upstream source pinned to a release, values files from this repository exist, allowed by its AppProject`, () => {
      const [app] = parseDocuments(readText(`argocd/addons/${file}`)) as unknown as AddOn[];
      const sources = must(app).spec.sources ?? [must(must(app).spec.source)];
      const upstream = must(sources.find((s) => s.chart ?? s.path));
      assert.match(upstream.targetRevision, /^v?\d+\.\d+\.\d+$/);
      for (const source of sources) assert.ok(addOnsProject.spec.sourceRepos.includes(source.repoURL), source.repoURL);
      for (const file of upstream.helm?.valueFiles ?? [])
        assert.ok(existsSync(join(repoRoot, file.replace(/^\$values\//, ''))), file);
    });
  }

  test('gateway-api.yaml installs the standard-channel CRDs of the release the edge implements, and never prunes them', () => {
    const [app] = parseDocuments(readText('argocd/addons/gateway-api.yaml')) as unknown as (AddOn & {
      spec: { syncPolicy: { automated: { prune: boolean }; syncOptions: string[] } };
    })[];
    assert.deepEqual(must(app).spec.source, {
      repoURL: 'https://github.com/kubernetes-sigs/gateway-api.git',
      targetRevision: gatewayApiVersion,
      path: 'config/crd/standard',
    });
    assert.equal(must(app).spec.syncPolicy.automated.prune, false, 'deleting a CRD deletes every object of its kind');
    assert.ok(must(app).spec.syncPolicy.syncOptions.includes('ServerSideApply=true'));
  });
});
