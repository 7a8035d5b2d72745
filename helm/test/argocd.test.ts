// The ApplicationSet expanded as its controller would: each generated Application is valid, points at a chart
// and values files that exist, is allowed by its AppProject, and syncs the way its environment should.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { validateCustomResource } from './lib/crd.ts';
import { mergePatch, renderTemplate, renderValue } from './lib/gotemplate.ts';
import { applicationSet, environments, type K8sObject, must, parseDocuments, readText, repoRoot } from './lib/repo.ts';

type Application = K8sObject & {
  spec: {
    project: string;
    source: { repoURL: string; path: string; targetRevision: string; helm: { valueFiles: string[]; releaseName: string } };
    destination: { name?: string; server?: string; namespace: string };
    syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean }; retry?: unknown };
  };
};
type Project = K8sObject & { spec: { sourceRepos: string[]; destinations: { name?: string; server?: string; namespace: string }[] } };

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
    assert.equal(apps.length, 18);
    assert.equal(new Set(apps.map((a) => a.metadata.name)).size, apps.length, 'names are unique');
    for (const env of environments) assert.equal(apps.filter((a) => a.metadata.labels?.['platform/env'] === env).length, 9);
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
          if (file.startsWith('secrets://')) assert.match(readText(join(app.spec.source.path, path)), /^sops:/m, `${file} is SOPS-encrypted`);
        }
      });

      test('is allowed by its AppProject', () => {
        const project = projects.find((p) => p.metadata.name === app.spec.project);
        assert.ok(project, `AppProject ${app.spec.project}`);
        assert.ok(project.spec.sourceRepos.includes(app.spec.source.repoURL), 'source repository allowed');
        assert.ok(project.spec.destinations.some((d) => d.namespace === app.spec.destination.namespace && d.name === app.spec.destination.name),
          `destination ${app.spec.destination.name}/${app.spec.destination.namespace} allowed`);
      });

      test('syncs as its environment should', () => {
        const env = must(app.metadata.labels)['platform/env'];
        if (env === 'dev') assert.deepEqual(app.spec.syncPolicy?.automated, { prune: true, selfHeal: true });
        else assert.equal(app.spec.syncPolicy?.automated, undefined, 'prod is synced after a reviewed change, not automatically');
        assert.ok(app.spec.syncPolicy?.retry, 'retries with backoff');
        assert.match(app.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? '', /^\d+$/);
      });
    });
  }

  test('sync waves order secrets and namespaces, data, migrations, services, SLO rules', () => {
    const wave = (component: string): number => Number(must(must(apps.find((a) => a.metadata.labels?.['platform/component'] === component)).metadata.annotations)['argocd.argoproj.io/sync-wave']);
    assert.ok(wave('platform') < wave('postgres') && wave('secrets') < wave('postgres'));
    assert.ok(wave('postgres') < wave('migrations') && wave('minio') < wave('migrations'));
    for (const service of ['auth', 'image', 'api']) assert.ok(wave('migrations') < wave(service) && wave(service) < wave('slo'));
  });

  test('prod runs the image tags pinned in helm/env/prod (no floating tags)', () => {
    for (const service of ['api', 'auth', 'image', 'migrations']) {
      const values = parse(readText(`helm/env/prod/${service}.yaml`)) as { image: { tag: string } };
      assert.match(values.image.tag, /^\d+\.\d+\.\d+$/, `${service} prod tag is a release version`);
    }
  });

  test('the AppProject for the platform allows only the platform namespaces and the kinds the charts render', () => {
    const platform = must(projects.find((p) => p.metadata.name === 'platform'));
    const namespaces = new Set(platform.spec.destinations.map((d) => d.namespace));
    assert.deepEqual([...namespaces].sort(), ['api-ns', 'auth-ns', 'cert-manager', 'data-ns', 'image-ns', 'ingress-ns', 'monitoring-ns']);
    assert.ok(!JSON.stringify(platform.spec).includes('"*"'), 'no wildcards');
  });
});

describe('ArgoCD add-ons', () => {
  for (const file of readdirSync(join(repoRoot, 'argocd/addons'))) {
    test(`${file}: upstream chart pinned, values file from this repository exists`, () => {
      const [app] = parseDocuments(readText(`argocd/addons/${file}`)) as unknown as { spec: { sources: { chart?: string; targetRevision: string; helm?: { valueFiles: string[] } }[] } }[];
      const chart = must(must(app).spec.sources.find((s) => s.chart));
      assert.match(chart.targetRevision, /^v?\d+\.\d+\.\d+$/);
      for (const file of must(chart.helm).valueFiles) assert.ok(existsSync(join(repoRoot, file.replace(/^\$values\//, ''))), file);
    });
  }
});
