// Every rendered manifest of every chart, for dev and prod, sent to the real API server as a server-side
// dry run: its schemas (strict about unknown fields), the real CRDs (Gateway API, cert-manager,
// prometheus-operator, Argo CD), admission (Pod Security in each namespace) and defaulting all apply.
// Each object is validated as a creation, the way a fresh install meets it (the dev install already ran for
// real): see support.ts asNew().
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { components, environments, render } from '../lib/repo.ts';
import { asNew, dryRun, report } from './support.ts';

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
    await assert.rejects(
      dryRun([
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'strictness-probe', namespace: 'api-ns' },
          data: {},
          extra: true,
        },
      ]),
      /unknown field "extra"/,
    );
  });

  test('a privileged pod is refused in a restricted namespace (Pod Security admission applies)', async () => {
    await assert.rejects(
      dryRun([
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'admission-probe', namespace: 'api-ns' },
          spec: {
            containers: [{ name: 'probe', image: 'localhost/busybox:1.35.0', securityContext: { privileged: true } }],
          },
        },
      ]),
      /violates PodSecurity "restricted:latest"/,
    );
  });

  test('a pod with host ports is refused at the edge (what the retired ingress-nginx values asked for)', async () => {
    await assert.rejects(
      dryRun([
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'host-port-probe', namespace: 'ingress-ns' },
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 101, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'controller',
                image: 'localhost/busybox:1.35.0',
                ports: [
                  { containerPort: 80, hostPort: 80 },
                  { containerPort: 443, hostPort: 443 },
                ],
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              },
            ],
          },
        },
      ]),
      /violates PodSecurity "restricted:latest": hostPort \(container "controller" uses hostPorts (443, 80|80, 443)\)$/m,
    );
  });

  test('reports the figures', () => {
    report('server-validation', counts);
  });
});
