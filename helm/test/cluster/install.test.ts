// The platform installed on a real node: every chart of the dev environment deployed by helm, every pod
// Ready on the node (containers started by containerd, probes answered), the migration Job complete and the
// database roles it applies in place, used by the services.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import pg from 'pg';
import { parse } from 'yaml';
import { components, secretValues } from '../lib/repo.ts';
import { binary, network } from '../../../scripts/cluster/settings.ts';
import { cluster, description, isReady, platformNamespaces, pods, report } from './support.ts';

describe('the platform on a real node', () => {
  test("every chart of the dev environment is a deployed helm release (and the cluster's monitoring)", async () => {
    const releases = JSON.parse(await cluster.helm(['list', '--all-namespaces', '--output', 'json'])) as {
      name: string;
      namespace: string;
      status: string;
    }[];
    const expected = [...components().map((c) => c.component), 'monitoring'].map((name) => `${name}: deployed`).sort();
    assert.deepEqual(releases.map((r) => `${r.name}: ${r.status}`).sort(), expected);
    assert.deepEqual(
      description.charts.map((c) => c.name).sort(),
      components()
        .map((c) => c.component)
        .sort(),
    );
  });

  test('every pod runs on the real node and is Ready (or Completed, for the migration Job)', async () => {
    const all = await pods();
    const platform = all.filter((p) => platformNamespaces.includes(p.metadata.namespace));
    assert.ok(platform.length >= 7, `only ${platform.length} platform pods`);
    const problems = all.flatMap((pod) => {
      const where = `${pod.metadata.namespace}/${pod.metadata.name}`;
      if (pod.spec.nodeName !== network.nodeName) return [`${where} is on ${pod.spec.nodeName ?? 'no node'}`];
      if (pod.status.phase === 'Succeeded') return [];
      const restarts = (pod.status.containerStatuses ?? []).reduce((sum, c) => sum + c.restartCount, 0);
      return isReady(pod) ? [] : [`${where} is ${pod.status.phase}, not Ready (restarts: ${restarts})`];
    });
    assert.deepEqual(problems, []);
    const ready = all.filter(isReady);
    report('install', { charts: description.charts.length, podsReady: ready.length });
  });

  test('the migration Job completed', async () => {
    const job = await cluster.getJson<{ status: { succeeded?: number; failed?: number } }>([
      'job',
      'migrate',
      '--namespace',
      'data-ns',
    ]);
    assert.equal(job.status.succeeded, 1, `migrate: ${JSON.stringify(job.status)}`);
  });

  test("the MinIO provisioning Job completed (the image service's user, policy and bucket)", async () => {
    const job = await cluster.getJson<{ status: { succeeded?: number; failed?: number } }>([
      'job',
      'minio-provision',
      '--namespace',
      'data-ns',
    ]);
    assert.equal(job.status.succeeded, 1, `minio-provision: ${JSON.stringify(job.status)}`);
  });

  test('the service roles exist, and auth and image are connected with them', async () => {
    type Secrets = { secrets: { name: string; data: Record<string, string> }[] };
    const secrets = (parse(secretValues('dev')) as Secrets).secrets;
    const adminUrl = new URL(secrets.find((s) => s.name === 'migrate-database')?.data['url'] ?? '');
    const forward = spawn(
      binary('kubectl'),
      ['--kubeconfig', description.kubeconfig, 'port-forward', '--namespace', 'data-ns', 'service/postgres', ':5432'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const [line] = (await once(forward.stdout, 'data')) as [Buffer];
      const port = /127\.0\.0\.1:(\d+)/.exec(line.toString())?.[1];
      assert.ok(port, `port-forward said: ${line.toString()}`);
      adminUrl.hostname = '127.0.0.1';
      adminUrl.port = port;
      const client = new pg.Client({ connectionString: adminUrl.toString() });
      await client.connect();
      try {
        const roles = await client.query<{ rolname: string }>(
          "SELECT rolname FROM pg_roles WHERE rolname IN ('auth_service', 'image_service') AND rolcanlogin ORDER BY rolname",
        );
        assert.deepEqual(
          roles.rows.map((r) => r.rolname),
          ['auth_service', 'image_service'],
        );
        const sessions = await client.query<{ usename: string }>(
          "SELECT DISTINCT usename FROM pg_stat_activity WHERE usename IN ('auth_service', 'image_service') ORDER BY usename",
        );
        assert.deepEqual(
          sessions.rows.map((r) => r.usename),
          ['auth_service', 'image_service'],
          'auth and image hold connections as their own roles',
        );
      } finally {
        await client.end();
      }
    } finally {
      forward.kill();
    }
  });
});
