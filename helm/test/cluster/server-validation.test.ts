// Every rendered manifest of every chart, for dev and prod, sent to the real API server as a server-side
// dry run: its schemas (strict about unknown fields), the real CRDs (Gateway API, cert-manager,
// prometheus-operator, Argo CD), admission (Pod Security in each namespace) and defaulting all apply.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { components, environments, render } from '../lib/repo.ts';
import { cluster, report } from './support.ts';

const dryRun = (manifests: string) => cluster.kubectl(['apply', '--dry-run=server', '--validate=strict', '--server-side', '--force-conflicts', '--field-manager=dry-run', '-f', '-'], manifests);

describe('server-side validation', () => {
  const counts: Record<string, number> = {};
  for (const env of environments) {
    for (const component of components()) {
      test(`${component.component} (${env}) is accepted by the API server`, async () => {
        const objects = render(env, component);
        const output = await dryRun(objects.map((o) => stringify(o)).join('---\n'));
        assert.equal(output.trim().split('\n').length, objects.length, output);
        counts[env] = (counts[env] ?? 0) + objects.length;
      });
    }
  }

  test('an unknown field is refused (the validation is strict)', async () => {
    const manifest = stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'strictness-probe', namespace: 'api-ns' }, data: {}, extra: true });
    await assert.rejects(dryRun(manifest), /unknown field "extra"/);
  });

  test('a privileged pod is refused in a restricted namespace (Pod Security admission applies)', async () => {
    const manifest = stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'admission-probe', namespace: 'api-ns' },
      spec: { containers: [{ name: 'probe', image: 'localhost/busybox:1.35.0', securityContext: { privileged: true } }] },
    });
    await assert.rejects(dryRun(manifest), /violates PodSecurity "restricted:latest"/);
  });

  test('reports the figures', () => {
    report('server-validation', counts);
  });
});
