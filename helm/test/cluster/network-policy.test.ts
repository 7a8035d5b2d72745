// NetworkPolicies enforced by kube-router on the real node: every TCP connection from each pod to each
// port of every other pod (and to the API server and kubelet on the node) is tried for real, and the
// result must be what the policy evaluator (../lib/network-policy.ts, which the static suite checks against
// the intended matrix) predicts from the policies the cluster holds. The monitoring pods are the cluster's
// own (scripts/cluster/monitoring); sources that do not run here (Grafana, the migration Job after it
// completed, a stranger in an unpoliced namespace) are stand-in pods with the same labels. DNS is checked by resolving a cluster name from every source.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { NetworkModel, type Workload } from '../lib/network-policy.ts';
import type { K8sObject } from '../lib/repo.ts';
import { imageRef } from '../../../scripts/cluster/images.ts';
import { network, ports } from '../../../scripts/cluster/settings.ts';
import { cluster, exec, isReady, platformNamespaces, pods, report, type Pod } from './support.ts';

/** Pods that stand in for sources that do not run on this cluster, with the labels their charts give them. */
const standIns: { name: string; namespace: string; labels: Record<string, string> }[] = [
  {
    name: 'probe-migrate',
    namespace: 'data-ns',
    labels: { 'app.kubernetes.io/name': 'migrate', 'app.kubernetes.io/instance': 'migrations' },
  },
  { name: 'probe-grafana', namespace: 'monitoring-ns', labels: { 'app.kubernetes.io/name': 'grafana' } },
  { name: 'probe-stranger', namespace: 'default', labels: { 'app.kubernetes.io/name': 'stranger' } },
];

/** The node's own listeners that pods may or may not reach (outside the pod network: "world" in the model). */
const node: Workload = {
  name: 'node',
  namespace: '',
  labels: {},
  world: true,
  ports: [ports.apiServer, ports.kubelet].map((port) => ({ port, protocol: 'TCP' })),
};

// Tries each "address:port" at once from inside the pod; prints "<target> open|closed" per line.
const connectScript = `
probe() { if command -v bash >/dev/null 2>&1; then timeout 3 bash -c "</dev/tcp/$1/$2" 2>/dev/null; else nc -w 3 "$1" "$2" </dev/null 2>/dev/null; fi; }
for target in "$@"; do (if probe "\${target%:*}" "\${target#*:}"; then echo "$target open"; else echo "$target closed"; fi) & done
wait`;
const resolveScript = `if command -v getent >/dev/null 2>&1; then getent hosts kubernetes.default.svc.${network.clusterDomain}; else nslookup kubernetes.default.svc.${network.clusterDomain}; fi`;

function standInPod(standIn: { name: string; namespace: string; labels: Record<string, string> }): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: standIn.name, namespace: standIn.namespace, labels: standIn.labels },
    spec: {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65534,
        runAsGroup: 65534,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'probe',
          image: imageRef('busybox'),
          imagePullPolicy: 'Never',
          command: ['sleep', '3600'],
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '32Mi' } },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
    },
  };
}

const workloadOf = (pod: Pod): Workload => ({
  name: `${pod.metadata.namespace}/${pod.metadata.name}`,
  namespace: pod.metadata.namespace,
  labels: pod.metadata.labels ?? {},
  ports: pod.spec.containers.flatMap((c) =>
    (c.ports ?? []).map((p) => ({
      port: p.containerPort,
      protocol: p.protocol ?? 'TCP',
      ...(p.name === undefined ? {} : { name: p.name }),
    })),
  ),
});

describe('NetworkPolicies, enforced on the real node', () => {
  let sources: Pod[] = [];
  let targets: Pod[] = [];
  let model: NetworkModel;

  before(async () => {
    await cluster.kubectl(['apply', '-f', '-'], standIns.map((s) => stringify(standInPod(s))).join('---\n'));
    for (const standIn of standIns)
      await cluster.kubectl([
        'wait',
        '--for=condition=Ready',
        '--timeout=60s',
        '--namespace',
        standIn.namespace,
        `pod/${standIn.name}`,
      ]);
    const all = await pods();
    const running = all.filter(
      (p) =>
        (platformNamespaces.includes(p.metadata.namespace) ||
          p.metadata.labels?.['k8s-app'] === 'kube-dns' ||
          p.metadata.namespace === 'default') &&
        isReady(p) &&
        !p.metadata.deletionTimestamp,
    );
    sources = running;
    targets = running.filter((p) => !standIns.some((s) => s.name === p.metadata.name));
    const policies = await cluster.getJson<{ items: K8sObject[] }>(['networkpolicies', '--all-namespaces']);
    model = new NetworkModel(
      policies.items.map((p) => ({ ...p, kind: 'NetworkPolicy' })),
      network.podCIDR,
    );
  });

  after(async () => {
    for (const standIn of standIns)
      await cluster.kubectl([
        'delete',
        'pod',
        standIn.name,
        '--namespace',
        standIn.namespace,
        '--wait=false',
        '--ignore-not-found',
      ]);
  });

  test('every connection succeeds exactly when the policies allow it', async () => {
    assert.ok(
      standIns.every((s) => sources.some((p) => p.metadata.name === s.name)),
      'every stand-in is running',
    );
    const mismatches: string[] = [];
    let allowed = 0;
    let denied = 0;
    for (const source of sources) {
      const from = workloadOf(source);
      const tries = new Map<string, boolean>();
      for (const target of targets) {
        if (target === source || target.status.podIP === undefined) continue;
        const to = workloadOf(target);
        for (const port of to.ports.filter((p) => p.protocol === 'TCP'))
          tries.set(`${target.status.podIP}:${port.port}`, model.canConnect(from, to, port));
      }
      for (const port of node.ports)
        tries.set(`${network.nodeAddress}:${port.port}`, model.canConnect(from, node, port));
      const output = await exec(source, ['sh', '-c', connectScript, 'sh', ...tries.keys()]);
      const observed = new Map(
        output
          .trim()
          .split('\n')
          .map((line) => line.split(' ') as [string, string]),
      );
      for (const [target, expected] of tries) {
        const open = observed.get(target) === 'open';
        if (open !== expected)
          mismatches.push(
            `${from.name} -> ${describeTarget(target, targets)}: ${open ? 'connected' : 'refused'}, policy says ${expected ? 'allowed' : 'denied'}`,
          );
        else if (expected) allowed += 1;
        else denied += 1;
      }
    }
    assert.deepEqual(mismatches, []);
    assert.ok(allowed >= 10 && denied >= 50, `allowed ${allowed}, denied ${denied}: too few tried`);
    report('network-policy', { allowed, denied });
  });

  test('every pod resolves cluster names (DNS to kube-dns is allowed everywhere)', async () => {
    const failures: string[] = [];
    // CoreDNS itself resolves through the host (dnsPolicy Default); every other pod through it.
    for (const source of sources.filter((pod) => pod.spec.dnsPolicy !== 'Default')) {
      await exec(source, ['sh', '-c', resolveScript]).catch((error: unknown) => {
        failures.push(
          `${source.metadata.namespace}/${source.metadata.name}: ${(error as Error).message.split('\n').at(-1)}`,
        );
      });
    }
    assert.deepEqual(failures, []);
  });
});

function describeTarget(address: string, targets: Pod[]): string {
  const [ip, port] = address.split(':');
  if (ip === network.nodeAddress) return `node:${port}`;
  const pod = targets.find((p) => p.status.podIP === ip);
  return `${pod?.metadata.namespace}/${pod?.metadata.name}:${port}`;
}
