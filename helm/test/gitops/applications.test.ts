// Argo CD as the platform's deployer, from git: the ApplicationSet's Applications, dev synced by itself from the
// commit under test with the platform running on the real node, SOPS secrets decrypted by the repo server, and the
// AppProject's rules enforced by the real controller.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { components, secretValues } from '../lib/repo.ts';
import { waitFor } from '../../../scripts/lib/wait.ts';
import { applications, gitRepository, syncApplication } from '../../../scripts/cluster/gitops.ts';
import { builtImages, normalise } from '../../../scripts/cluster/images.ts';
import { cluster, isReady, platformNamespaces, pods, report } from '../cluster/support.ts';
import { application, head, pushCommit } from './support.ts';

describe('Argo CD on the cluster', () => {
  test('the ApplicationSet expands to one Application per component and environment, under the platform project', async () => {
    const all = await applications(cluster);
    const expected = components()
      .flatMap((c) =>
        ['dev', 'prod'].map(
          (env) => `${c.component}-${env} -> ${env === 'dev' ? 'in-cluster' : 'prod'}/${c.namespace}`,
        ),
      )
      .sort();
    assert.deepEqual(
      all.map((a) => `${a.metadata.name} -> ${a.spec.destination.name}/${a.spec.destination.namespace}`).sort(),
      expected,
    );
    assert.ok(all.every((a) => a.spec.project === 'platform'));
    report('gitops-applications', { applications: all.length });
  });

  test("dev is synced by itself to main's head (the commit under test on a fresh cluster), and healthy", async () => {
    const revision = head();
    const problems = async () =>
      (await applications(cluster))
        .filter((a) => a.metadata.labels?.['platform/env'] === 'dev')
        .filter(
          (a) =>
            a.status?.sync?.status !== 'Synced' ||
            a.status.health?.status !== 'Healthy' ||
            a.status.sync.revision !== revision,
        )
        .map(
          (a) =>
            `${a.metadata.name}: ${a.status?.sync?.status}/${a.status?.health?.status} at ${a.status?.sync?.revision}`,
        );
    // On a fresh cluster it already is; after a suite's commit, within a few reconciliations.
    await waitFor('dev did not follow main', async () => (await problems()).length === 0, { timeoutMs: 120_000 }).catch(
      async () => {
        assert.deepEqual(await problems(), []);
      },
    );
    report('gitops-dev', { revision: revision.slice(0, 12) });
  });

  test("dev's pods run on the real node from the images built here", async () => {
    const refs = new Set(builtImages().map((i) => normalise(i.ref)));
    const running = (await pods()).filter(
      (p) => platformNamespaces.includes(p.metadata.namespace) && p.status.phase === 'Running',
    );
    assert.ok(running.length >= 6, `only ${running.length} pods`);
    for (const pod of running) {
      assert.ok(isReady(pod), `${pod.metadata.name} is not Ready`);
      for (const container of pod.spec.containers)
        assert.ok(refs.has(normalise(container.image)), `${pod.metadata.name} runs ${container.image}`);
    }
  });

  test("the repo server decrypted dev's SOPS secrets (secrets:// value files)", async () => {
    type Secrets = { secrets: { name: string; namespace: string; data: Record<string, string> }[] };
    const expected = (parse(secretValues('dev')) as Secrets).secrets;
    for (const secret of expected) {
      const live = await cluster.getJson<{ data: Record<string, string> }>([
        'secret',
        secret.name,
        '--namespace',
        secret.namespace,
      ]);
      for (const [key, value] of Object.entries(secret.data)) {
        assert.equal(
          Buffer.from(live.data[key] ?? '', 'base64').toString(),
          value,
          `${secret.namespace}/${secret.name}: ${key}`,
        );
      }
    }
  });

  test('the platform project refuses a destination it does not list', async () => {
    await cluster.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify(probeApplication('probe-destination', 'helm/charts/api', 'default')),
    );
    try {
      await waitFor(
        'the controller did not refuse the destination',
        async () =>
          (await application('probe-destination')).status?.conditions?.some(
            (c) =>
              c.type === 'InvalidSpecError' &&
              /do not match any of the allowed destinations in project 'platform'/.test(c.message),
          ),
        { timeoutMs: 60_000 },
      );
    } finally {
      await cluster.kubectl([
        'delete',
        'applications.argoproj.io',
        'probe-destination',
        '--namespace',
        'argocd',
        '--wait=false',
      ]);
    }
  });

  test('the platform project refuses a kind it does not whitelist', async () => {
    const quota = {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'probe', namespace: 'api-ns', annotations: { 'platform/probe': String(Date.now()) } },
      spec: { hard: { pods: '100' } },
    };
    pushCommit('A resource kind the platform project does not allow (the GitOps suite)', {
      'probes/kind/quota.yaml': JSON.stringify(quota),
    });
    await cluster.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify(probeApplication('probe-kind', 'probes/kind', 'api-ns')),
    );
    try {
      await syncApplication(cluster, 'probe-kind');
      await waitFor(
        'the controller did not refuse the kind',
        async () => {
          const app = await application('probe-kind');
          const messages = [
            app.status?.operationState?.message ?? '',
            ...(app.status?.conditions ?? []).map((c) => c.message),
          ].join('\n');
          return /ResourceQuota.*is not permitted in project platform/.test(messages);
        },
        { timeoutMs: 60_000 },
      );
      assert.equal(
        (
          await cluster.kubectl([
            'get',
            'resourcequota',
            'probe',
            '--namespace',
            'api-ns',
            '--ignore-not-found',
            '--output=name',
          ])
        ).trim(),
        '',
      );
    } finally {
      await cluster.kubectl([
        'delete',
        'applications.argoproj.io',
        'probe-kind',
        '--namespace',
        'argocd',
        '--wait=false',
      ]);
    }
  });
});

function probeApplication(name: string, path: string, namespace: string) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd' },
    spec: {
      project: 'platform',
      source: { repoURL: gitRepository, targetRevision: 'main', path },
      destination: { name: 'in-cluster', namespace },
    },
  };
}
