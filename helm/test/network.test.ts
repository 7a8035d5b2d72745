// Reachability computed from the rendered NetworkPolicies and pod labels, compared with the intended matrix.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NetworkModel, type Workload } from './lib/network-policy.ts';
import { environments, must, podTemplate, readYaml, renderEnvironment } from './lib/repo.ts';

const podCIDR = readYaml<{ apiServer: { podCIDR: string } }>('helm/charts/platform/values.yaml').apiServer.podCIDR;

// Pods that upstream charts run (kube-prometheus-stack) or the cluster does (CoreDNS), with the labels those charts
// give them, and "world": anything outside the pod network (internet clients, the Kubernetes API server). The edge
// (Traefik) is rendered from this repository's chart, so it is found with the other workloads.
const external: Workload[] = [
  {
    name: 'prometheus',
    namespace: 'monitoring-ns',
    labels: { 'app.kubernetes.io/name': 'prometheus' },
    ports: [{ port: 9090, protocol: 'TCP' }],
  },
  {
    name: 'alertmanager',
    namespace: 'monitoring-ns',
    labels: { 'app.kubernetes.io/name': 'alertmanager' },
    ports: [{ port: 9093, protocol: 'TCP' }],
  },
  {
    name: 'grafana',
    namespace: 'monitoring-ns',
    labels: { 'app.kubernetes.io/name': 'grafana' },
    ports: [{ port: 3000, protocol: 'TCP' }],
  },
  {
    name: 'kube-dns',
    namespace: 'kube-system',
    labels: { 'k8s-app': 'kube-dns' },
    ports: [
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ],
  },
  {
    name: 'world',
    namespace: '',
    labels: {},
    ports: [443, 6443, 9100, 10250].map((port) => ({ port, protocol: 'TCP' })),
    world: true,
  },
];

const dns = (name: string): string[] => [`${name} -> kube-dns:53/TCP`, `${name} -> kube-dns:53/UDP`];

/** The intended matrix (issue 6), plus two edges the design needs, each named and explained. */
const intended = [
  'edge -> api:3000/TCP',
  'api -> auth:3001/TCP',
  'api -> image:3002/TCP',
  'auth -> postgres:5432/TCP',
  'image -> postgres:5432/TCP',
  'image -> minio:9000/TCP',
  'prometheus -> api:9464/TCP',
  'prometheus -> auth:9464/TCP',
  'prometheus -> image:9464/TCP',
  'prometheus -> edge:9100/TCP', // the edge's metrics entry point
  'prometheus -> prober:9464/TCP',
  // The journey prober reaches the platform only as a user does: the edge's HTTPS entry point (its Service's 443).
  'prober -> edge:8443/TCP',
  // Needed by design, beyond the list (helm/README.md, "Network policy"):
  'image -> auth:3001/TCP', // the image service verifies tokens locally with auth's JWKS (PLATFORM.md)
  'migrate -> postgres:5432/TCP', // the migration Job runs prisma migrate deploy
  'auth -> redis:6379/TCP', // login counters shared by auth's replicas (issue 14)
  'minio-provision -> minio:9000/TCP', // the hook Job that creates the image service's MinIO user and bucket
  // kube-prometheus-stack's own components talk to each other inside monitoring-ns:
  ...['alertmanager', 'grafana', 'prometheus'].flatMap((from) =>
    ['alertmanager:9093', 'grafana:3000', 'prometheus:9090']
      .filter((to) => !to.startsWith(`${from}:`))
      .map((to) => `${from} -> ${to}/TCP`),
  ),
  // Outside the cluster: clients reach the edge's HTTPS and HTTP entry points (through its node ports), and the
  // controllers that watch the Kubernetes API reach it. Nothing calls into the edge but clients: no admission webhook.
  'world -> edge:8443/TCP',
  'world -> edge:8000/TCP',
  'edge -> world:6443/TCP',
  'prometheus -> world:6443/TCP',
  'grafana -> world:6443/TCP',
  'alertmanager -> world:6443/TCP',
  'prometheus -> world:9100/TCP', // node-exporter (host network)
  'prometheus -> world:10250/TCP', // kubelet and cAdvisor metrics
  'alertmanager -> world:443/TCP', // notifications to Slack and PagerDuty
  ...[
    'edge',
    'api',
    'auth',
    'image',
    'postgres',
    'minio',
    'minio-provision',
    'redis',
    'migrate',
    'prometheus',
    'alertmanager',
    'grafana',
    'prober',
  ].flatMap(dns),
].sort();

for (const env of environments) {
  describe(`network reachability (${env})`, () => {
    const objects = renderEnvironment(env);
    const model = new NetworkModel(objects, podCIDR);
    const workloads: Workload[] = [
      ...objects.flatMap((o) => {
        const pod = podTemplate(o);
        if (!pod) return [];
        const ports = pod.spec.containers.flatMap((c) =>
          (c.ports ?? []).map((p) => ({ port: p.containerPort, name: p.name, protocol: p.protocol ?? 'TCP' })),
        );
        return [{ name: o.metadata.name, namespace: must(o.metadata.namespace), labels: pod.metadata.labels, ports }];
      }),
      ...external,
    ];
    // kube-system is not the platform's to police: CoreDNS appears only as a destination.
    const matrix = model
      .matrix(workloads)
      .filter((e) => !e.startsWith('kube-dns -> ') && !e.startsWith('world -> kube-dns:'));

    test('the computed matrix equals the intended one', () => {
      const unexpected = matrix.filter((e) => !intended.includes(e));
      const missing = intended.filter((e) => !matrix.includes(e));
      assert.deepEqual({ unexpected, missing }, { unexpected: [], missing: [] });
    });

    test('the API cannot reach PostgreSQL or MinIO', () => {
      assert.equal(matrix.filter((e) => /^api -> (postgres|minio):/.test(e)).length, 0);
    });

    test('nothing but the API reaches image, and only image (and its provisioning Job) reaches MinIO', () => {
      assert.deepEqual(
        matrix.filter((e) => / -> image:3002\//.test(e)),
        ['api -> image:3002/TCP'],
      );
      assert.deepEqual(
        matrix.filter((e) => / -> minio:/.test(e)),
        ['image -> minio:9000/TCP', 'minio-provision -> minio:9000/TCP'],
      );
    });

    test('only auth reaches Redis, and Redis reaches nothing', () => {
      assert.deepEqual(
        matrix.filter((e) => / -> redis:/.test(e)),
        ['auth -> redis:6379/TCP'],
      );
      assert.deepEqual(
        matrix.filter((e) => e.startsWith('redis -> ')),
        dns('redis'),
      );
    });

    test('from outside the cluster, only the edge is reachable, and only on its HTTP and HTTPS entry points', () => {
      assert.deepEqual(
        matrix.filter((e) => e.startsWith('world -> ')),
        ['world -> edge:8000/TCP', 'world -> edge:8443/TCP'],
      );
    });

    test('the edge reaches only the API (and DNS, and the API server it watches)', () => {
      assert.deepEqual(
        matrix.filter((e) => e.startsWith('edge -> ')),
        ['edge -> api:3000/TCP', ...dns('edge'), 'edge -> world:6443/TCP'].sort(),
      );
    });

    test('the evaluator itself: removing the default deny would open the API to PostgreSQL', () => {
      const open = new NetworkModel(
        objects.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.namespace === 'api-ns')),
        podCIDR,
      );
      const api = must(workloads.find((w) => w.name === 'api'));
      const postgres = must(workloads.find((w) => w.name === 'postgres'));
      assert.equal(model.canConnect(api, postgres, must(postgres.ports[0])), false);
      // Egress from api-ns is then unrestricted, but postgres's ingress still only admits its clients.
      assert.equal(open.canConnect(api, postgres, must(postgres.ports[0])), false);
      const anything: Workload = {
        name: 'debug',
        namespace: 'api-ns',
        labels: { 'app.kubernetes.io/name': 'auth' },
        ports: [],
      };
      assert.equal(
        open.canConnect(anything, postgres, must(postgres.ports[0])),
        false,
        'namespace is part of the peer',
      );
    });
  });
}
