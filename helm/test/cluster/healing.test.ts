// High availability and healing on the real node, with clients on the edge the whole time: the api runs
// two replicas with its PodDisruptionBudget (as prod does); a deleted pod is replaced with failures within
// the availability SLO's budget, a rolling update loses no request, an eviction that would break the
// budget is refused, and a pod whose readiness fails leaves its Service's endpoints until it recovers.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { readText, repoRoot } from '../lib/repo.ts';
import { valuesArguments } from '../../../scripts/cluster/platform.ts';
import { waitFor } from '../../../scripts/lib/wait.ts';
import { cluster, edgeRequest, exec, isReady, layout, pods, report } from './support.ts';

const api = { namespace: 'api-ns', selector: 'app.kubernetes.io/name=api' };
const apiComponent = { component: 'api', namespace: 'api-ns', wave: '3', valuesScheme: '' };
/** The availability SLO (slo/specs/api.yml): the share of requests that may fail. */
const availabilityBudget = (() => {
  const spec = parse(readText('slo/specs/api.yml')) as { slos: { name: string; objective: number }[] };
  const objective = spec.slos.find((s) => s.name === 'availability')?.objective ?? 100;
  return 1 - objective / 100;
})();

interface LoadResult {
  requests: number;
  failures: string[];
}

/** Clients on the edge until `stop` resolves: each sends GET /healthz to the api, one after the other. */
async function underLoad(action: () => Promise<void>, clients = 8): Promise<LoadResult> {
  const result: LoadResult = { requests: 0, failures: [] };
  let running = true;
  const client = async () => {
    while (running) {
      try {
        const response = await edgeRequest('GET', '/healthz');
        if (response.status !== 200) result.failures.push(`status ${response.status}`);
      } catch (error) {
        result.failures.push((error as Error).message);
      }
      result.requests += 1;
    }
  };
  const workers = Array.from({ length: clients }, client);
  try {
    await sleep(2_000);
    await action();
    await sleep(2_000);
  } finally {
    running = false;
    await Promise.all(workers);
  }
  return result;
}

/** Run in an api pod: one request to the image Service on a new connection; prints what became of it. */
const imageServiceAttempt = `fetch('http://image.image-ns.svc.cluster.local:3002/healthz', { signal: AbortSignal.timeout(5000) }).then(
  (answer) => console.log('answered', answer.status),
  (error) => console.log('refused', error.cause?.code ?? error.name),
)`;

const readyApiPods = async () =>
  (await pods(api.namespace, api.selector)).filter((p) => isReady(p) && !p.metadata.deletionTimestamp);

async function setApiReplicas(extra: string[]): Promise<void> {
  await cluster.helm([
    'upgrade',
    'api',
    join(repoRoot, 'helm/charts/api'),
    '--namespace',
    api.namespace,
    ...valuesArguments(apiComponent, layout),
    ...extra,
    '--wait',
    '--timeout',
    '3m',
  ]);
}

describe('HA and healing', () => {
  before(async () => {
    await setApiReplicas(['--set', 'replicas=2', '--set', 'pdb.enabled=true']);
    await waitFor('two api pods were not ready', async () => (await readyApiPods()).length === 2, {
      timeoutMs: 120_000,
    });
  });

  after(async () => {
    await setApiReplicas([]);
  });

  test('a deleted api pod is replaced, with failures within the availability budget', async () => {
    const [victim] = await readyApiPods();
    assert.ok(victim);
    const load = await underLoad(async () => {
      await cluster.kubectl(['delete', 'pod', victim.metadata.name, '--namespace', api.namespace, '--wait=false']);
      await waitFor(
        'no replacement became ready',
        async () => {
          const ready = await readyApiPods();
          return ready.length === 2 && ready.every((p) => p.metadata.name !== victim.metadata.name);
        },
        { timeoutMs: 90_000 },
      );
    });
    assert.ok(load.requests > 100, `only ${load.requests} requests`);
    assert.ok(
      load.failures.length <= load.requests * availabilityBudget,
      `${load.failures.length} of ${load.requests} failed: ${load.failures.slice(0, 5).join('; ')}`,
    );
    report('healing-delete', { requests: load.requests, failures: load.failures.length });
  });

  test('a rolling update of the api under load fails no request', async () => {
    const load = await underLoad(async () => {
      await cluster.kubectl(['rollout', 'restart', 'deployment/api', '--namespace', api.namespace]);
      await cluster.kubectl(['rollout', 'status', 'deployment/api', '--namespace', api.namespace, '--timeout=180s']);
    });
    assert.ok(load.requests > 100, `only ${load.requests} requests`);
    assert.deepEqual(load.failures, [], `${load.failures.length} of ${load.requests} failed`);
    report('healing-rollout', { requests: load.requests, failures: load.failures.length });
  });

  test('the PodDisruptionBudget lets one api pod be evicted, and refuses the second', async () => {
    await waitFor('two api pods were not ready', async () => (await readyApiPods()).length === 2, {
      timeoutMs: 120_000,
    });
    const [first, second] = await readyApiPods();
    assert.ok(first && second);
    const evict = (name: string) =>
      cluster.kubectl(
        ['create', '--raw', `/api/v1/namespaces/${api.namespace}/pods/${name}/eviction`, '-f', '-'],
        JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: api.namespace } }),
      );
    await evict(first.metadata.name);
    await assert.rejects(evict(second.metadata.name), /disruption budget|TooManyRequests|429/);
    await waitFor('the evicted pod was not replaced', async () => (await readyApiPods()).length === 2, {
      timeoutMs: 120_000,
    });
  });

  test('a pod whose readiness fails leaves its Service until it recovers (image without S3)', async () => {
    type Slices = { items: { endpoints?: { conditions: { ready?: boolean } }[] }[] };
    const imageReady = async () =>
      (
        await cluster.getJson<Slices>([
          'endpointslices',
          '--namespace',
          'image-ns',
          '--selector',
          'kubernetes.io/service-name=image',
        ])
      ).items
        .flatMap((s) => s.endpoints ?? [])
        .map((e) => e.conditions.ready === true);
    assert.deepEqual(await imageReady(), [true]);
    await cluster.kubectl(['scale', 'statefulset/minio', '--namespace', 'data-ns', '--replicas=0']);
    try {
      await waitFor(
        'the image pod stayed in its Service without S3',
        async () => (await imageReady()).every((ready) => !ready),
        { timeoutMs: 90_000 },
      );
      // Proof that the Service sends it nothing new: a new connection from an api pod finds no endpoint. (A request
      // through the api proves nothing here: its keep-alive connections from before still reach the pod, which the
      // Service steers new connections only, and the pod still answers what needs no S3, a listing.)
      const [apiPod] = await readyApiPods();
      assert.ok(apiPod, 'a ready api pod to try the image Service from');
      const attempt = await exec(apiPod, ['node', '-e', imageServiceAttempt]);
      assert.match(attempt, /^refused ECONNREFUSED/m, `a new connection to the image Service: ${attempt}`);
    } finally {
      await cluster.kubectl(['scale', 'statefulset/minio', '--namespace', 'data-ns', '--replicas=1']);
    }
    await waitFor('the image pod did not return to its Service', async () => (await imageReady()).every(Boolean), {
      timeoutMs: 120_000,
    });
    report('healing', { ok: true });
  });
});
