// Every rendered manifest of every chart, for dev and prod, sent to the real API server as a server-side
// dry run: its schemas (strict about unknown fields), the real CRDs (Gateway API, cert-manager,
// prometheus-operator, Argo CD), admission (Pod Security in each namespace) and defaulting all apply.
// Each object is validated as a creation, the way a fresh install meets it (the dev install already ran for
// real): under a "-dry-run" name, since an update would also meet what the running objects forbid changing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { components, environments, render, type K8sObject } from '../lib/repo.ts';
import { cluster, report } from './support.ts';

/** JSON, not YAML: the API server's YAML is 1.1, where a rendered `off` would turn into a boolean. */
const dryRun = (objects: K8sObject[]) =>
  cluster.kubectl(['create', '--dry-run=server', '--validate=strict', '--output=name', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));

/** The object under a new name; a NodePort Service's fixed ports are left for the server to pick (the running edge holds them). */
function asNew(object: K8sObject): K8sObject {
  const renamed = { ...object, metadata: { ...object.metadata, name: `${object.metadata.name}-dry-run` } };
  if (object.kind !== 'Service') return renamed;
  const spec = object['spec'] as { ports?: { nodePort?: number }[] };
  return { ...renamed, spec: { ...spec, ports: spec.ports?.map(({ nodePort: _, ...port }) => port) } };
}

describe('server-side validation', () => {
  const counts: Record<string, number> = {};
  for (const env of environments) {
    for (const component of components()) {
      test(`${component.component} (${env}) is accepted by the API server`, async () => {
        const objects = render(env, component);
        const output = await dryRun(objects.map(asNew));
        assert.equal(output.trim().split('\n').length, objects.length, output);
        counts[env] = (counts[env] ?? 0) + objects.length;
      });
    }
  }

  test('an unknown field is refused (the validation is strict)', async () => {
    await assert.rejects(dryRun([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'strictness-probe', namespace: 'api-ns' }, data: {}, extra: true }]), /unknown field "extra"/);
  });

  test('a privileged pod is refused in a restricted namespace (Pod Security admission applies)', async () => {
    await assert.rejects(dryRun([{
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'admission-probe', namespace: 'api-ns' },
      spec: { containers: [{ name: 'probe', image: 'localhost/busybox:1.35.0', securityContext: { privileged: true } }] },
    }]), /violates PodSecurity "restricted:latest"/);
  });

  test('reports the figures', () => {
    report('server-validation', counts);
  });
});
