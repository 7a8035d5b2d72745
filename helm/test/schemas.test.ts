// Every rendered object and every ArgoCD manifest validated against the Kubernetes and CRD schemas, offline.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { customResourceKinds, customResourceModels, validateCustomResource } from './lib/crd.ts';
import { gatewayApiVersion, validateGatewayApiObject } from './lib/gateway-api.ts';
import {
  environments,
  type K8sObject,
  must,
  parseDocuments,
  readText,
  renderEnvironment,
  repoRoot,
  tool,
} from './lib/repo.ts';

const schemaDir = execFileSync('bash', [join(repoRoot, 'helm/test/tools/k8s-schemas.sh')], { encoding: 'utf8' }).trim();
const scratch = mkdtempSync(join(tmpdir(), 'kubeconform-'));

type Report = {
  resources?: { filename: string; kind: string; name: string; status: string; msg: string }[];
  summary: { valid: number; invalid: number; errors: number; skipped: number };
};

/** kubeconform -strict over built-in kinds; custom resources are left to the CRD validators. */
function kubeconform(objects: K8sObject[], label: string): Report {
  const file = join(scratch, `${label}.yaml`);
  // YAML 1.1 output, so strings like "off" stay quoted for kubeconform's YAML 1.1 parser.
  writeFileSync(file, objects.map((o) => stringify(o, { version: '1.1' })).join('---\n'));
  let output: string;
  try {
    output = tool('kubeconform', [
      '-strict',
      '-summary',
      '-output',
      'json',
      '-schema-location',
      `${schemaDir}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
      '-skip',
      customResourceKinds.join(','),
      file,
    ]);
  } catch (error) {
    output = (error as { stdout?: string }).stdout ?? '';
    if (!output) throw error;
  }
  return JSON.parse(output) as Report;
}

const failures = (report: Report): string[] =>
  (report.resources ?? [])
    .filter((r) => r.status !== 'statusSkipped' && r.status !== 'statusValid')
    .map((r) => `${r.kind}/${r.name}: ${r.msg}`);

for (const env of environments) {
  describe(`schemas (${env})`, () => {
    const objects = renderEnvironment(env);

    test('built-in kinds pass kubeconform -strict (Kubernetes 1.34 schemas)', () => {
      const report = kubeconform(objects, env);
      assert.deepEqual(failures(report), []);
      const builtIn = objects.filter((o) => !customResourceKinds.includes(o.kind)).length;
      assert.equal(
        report.summary.valid,
        builtIn,
        'every built-in object was validated, none skipped for lack of a schema',
      );
    });

    test('custom resources match their CRD schemas', () => {
      const custom = objects.filter((o) => customResourceKinds.includes(o.kind));
      assert.ok(custom.length > 0);
      for (const object of custom) validateCustomResource(object);
    });

    test(`Gateway API objects match the Gateway API ${gatewayApiVersion} CRDs (standard channel), strict about unknown fields`, () => {
      const gatewayApi = objects.filter((o) => o.apiVersion.startsWith('gateway.networking.k8s.io/'));
      assert.deepEqual([...new Set(gatewayApi.map((o) => o.kind))].sort(), ['Gateway', 'GatewayClass', 'HTTPRoute']);
      for (const object of gatewayApi) validateGatewayApiObject(object);
    });

    test('no object is of a kind without a schema', () => {
      for (const o of objects) {
        assert.ok(
          !o.apiVersion.includes('.') ||
            o.apiVersion.endsWith('.k8s.io/v1') ||
            `${o.apiVersion}/${o.kind}` in customResourceModels ||
            ['apps/v1', 'batch/v1', 'policy/v1', 'autoscaling/v2'].includes(o.apiVersion),
          `${o.apiVersion} ${o.kind}`,
        );
      }
    });
  });
}

describe('schemas (argocd/)', () => {
  const files = [
    'argocd/projects.yaml',
    'argocd/applicationset.yaml',
    ...readdirSync(join(repoRoot, 'argocd/addons')).map((f) => `argocd/addons/${f}`),
  ];
  for (const file of files) {
    test(`${file} matches the ArgoCD CRD schemas`, () => {
      const objects = parseDocuments(readText(file));
      assert.ok(objects.length > 0);
      for (const object of objects) validateCustomResource(object);
    });
  }
});

test('kubeconform -strict really rejects an unknown field (the schemas are the strict ones)', () => {
  const objects = renderEnvironment('dev');
  const deployment = structuredClone(must(objects.find((o) => o.kind === 'Deployment')));
  (deployment['spec'] as Record<string, unknown>)['replicaz'] = 2;
  const report = kubeconform([deployment], 'negative');
  assert.equal(report.summary.invalid, 1);
  assert.match(must(failures(report)[0]), /replicaz/);
});

test('the Gateway API CRD schemas really reject an unknown field and a wrong type', () => {
  const route = structuredClone(
    must(renderEnvironment('dev').find((o) => o.kind === 'HTTPRoute' && o.metadata.namespace === 'api-ns')),
  );
  const rules = (route['spec'] as { rules: Record<string, unknown>[] }).rules;
  must(rules[0])['timeoutz'] = { request: '600s' };
  assert.throws(() => {
    validateGatewayApiObject(route);
  }, /timeoutz/);
  const gateway = structuredClone(must(renderEnvironment('dev').find((o) => o.kind === 'Gateway')));
  must((gateway['spec'] as { listeners: Record<string, unknown>[] }).listeners[0])['port'] = '8443';
  assert.throws(() => {
    validateGatewayApiObject(gateway);
  }, /port/);
});

test('the CRD validators reject a wrongly typed field', () => {
  const monitor = structuredClone(must(renderEnvironment('dev').find((o) => o.kind === 'ServiceMonitor')));
  (monitor['spec'] as Record<string, unknown>)['endpoints'] = 'metrics';
  assert.throws(() => {
    validateCustomResource(monitor);
  });
});
