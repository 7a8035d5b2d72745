// Policy over the rendered output of every environment: what a reviewer would otherwise check by eye.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { selects } from './lib/network-policy.ts';
import { environments, type K8sObject, must, podTemplate, readYaml, renderEnvironment } from './lib/repo.ts';

const platformNamespaces = [
  'ingress-ns',
  'api-ns',
  'auth-ns',
  'image-ns',
  'data-ns',
  'monitoring-ns',
  'node-exporter-ns',
];

for (const env of environments) {
  describe(`policy (${env})`, () => {
    const objects = renderEnvironment(env);
    const workloads = objects.filter((o) => podTemplate(o) !== undefined);
    const find = (kind: string, namespace: string | undefined, name: string): K8sObject | undefined =>
      objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);

    test('renders the expected workloads', () => {
      const names = workloads.map((w) => `${w.metadata.namespace}/${w.kind}/${w.metadata.name}`).sort();
      assert.deepEqual(names, [
        'api-ns/Deployment/api',
        'auth-ns/Deployment/auth',
        'data-ns/Deployment/redis',
        'data-ns/Job/migrate',
        'data-ns/Job/minio-provision',
        'data-ns/StatefulSet/minio',
        'data-ns/StatefulSet/postgres',
        'image-ns/Deployment/image',
        'ingress-ns/Deployment/edge',
        'prober-ns/Deployment/prober',
      ]);
    });

    for (const workload of workloads) {
      const id = `${workload.metadata.namespace}/${workload.kind}/${workload.metadata.name}`;
      const pod = must(podTemplate(workload));
      test(`${id}: securityContext at the restricted Pod Security level`, () => {
        const podContext = pod.spec.securityContext ?? {};
        assert.equal(podContext['runAsNonRoot'], true, 'pod runAsNonRoot');
        assert.equal(podContext['seccompProfile']?.type, 'RuntimeDefault', 'pod seccompProfile');
        for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) assert.notEqual(pod.spec[key], true, key);
        for (const container of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
          const sc = container.securityContext ?? {};
          assert.equal(sc['allowPrivilegeEscalation'], false, `${container.name}: allowPrivilegeEscalation`);
          assert.equal(sc['readOnlyRootFilesystem'], true, `${container.name}: readOnlyRootFilesystem`);
          const capabilities = sc.capabilities ?? {};
          assert.deepEqual(capabilities.drop, ['ALL'], `${container.name}: drops ALL capabilities`);
          assert.equal(capabilities.add, undefined, `${container.name}: adds no capability`);
          assert.notEqual(sc['privileged'], true, `${container.name}: privileged`);
          assert.notEqual(sc['runAsUser'], 0, `${container.name}: runs as root`);
        }
        assert.ok(
          ((pod.spec['volumes'] as { hostPath?: unknown }[] | undefined) ?? []).every((v) => v.hostPath === undefined),
          'no hostPath volumes',
        );
      });

      test(`${id}: no hostPort (Pod Security restricted refuses it; the edge is reached through its node ports)`, () => {
        for (const container of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
          for (const port of container.ports ?? [])
            assert.equal(
              (port as { hostPort?: number }).hostPort,
              undefined,
              `${container.name}: ${port.name ?? port.containerPort}`,
            );
        }
      });

      test(`${id}: resources requested and memory limited`, () => {
        for (const container of pod.spec.containers) {
          const { requests = {}, limits = {} } = container.resources ?? {};
          assert.ok(requests['cpu'], `${container.name}: cpu request`);
          assert.ok(requests['memory'], `${container.name}: memory request`);
          assert.ok(limits['memory'], `${container.name}: memory limit`);
        }
      });

      test(`${id}: image pinned (no latest, no untagged)`, () => {
        for (const container of pod.spec.containers) {
          const tag = /^[^@]+:([^/:@]+)$/.exec(container.image)?.[1];
          assert.ok(
            tag !== undefined || container.image.includes('@sha256:'),
            `${container.image} has a tag or digest`,
          );
          assert.notEqual(tag, 'latest', `${container.image} must not be latest`);
        }
      });

      if (workload.kind !== 'Job') {
        test(`${id}: liveness, readiness and startup probes`, () => {
          for (const container of pod.spec.containers) {
            assert.ok(container.livenessProbe, `${container.name}: livenessProbe`);
            assert.ok(container.readinessProbe, `${container.name}: readinessProbe`);
            assert.ok(container.startupProbe, `${container.name}: startupProbe`);
          }
        });

        test(`${id}: a PodDisruptionBudget when it runs more than one replica`, () => {
          const spec = workload['spec'] as { replicas?: number };
          const hpa = find('HorizontalPodAutoscaler', workload.metadata.namespace, workload.metadata.name);
          const replicas = hpa ? (hpa['spec'] as { minReplicas: number }).minReplicas : (spec.replicas ?? 1);
          const pdb = objects.find(
            (o) =>
              o.kind === 'PodDisruptionBudget' &&
              o.metadata.namespace === workload.metadata.namespace &&
              Object.entries(
                (o['spec'] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels,
              ).every(([k, v]) => pod.metadata.labels[k] === v),
          );
          if (replicas > 1) assert.ok(pdb, `${replicas} replicas need a PodDisruptionBudget`);
        });
      }
    }

    for (const name of ['api', 'auth', 'image', 'prober']) {
      const namespace = `${name}-ns`;
      test(`${name}: probes on /healthz and /readyz, graceful termination covers the drain`, () => {
        const deployment = must(find('Deployment', namespace, name));
        const pod = must(podTemplate(deployment));
        const container = must(pod.spec.containers[0]);
        const path = (probe: unknown): string => (probe as { httpGet: { path: string } }).httpGet.path;
        assert.equal(path(container.livenessProbe), '/healthz');
        assert.equal(path(container.startupProbe), '/healthz');
        assert.equal(path(container.readinessProbe), '/readyz');
        const envOf = (key: string): number => Number(must(must(container.env).find((e) => e.name === key)).value);
        const drainSeconds = (envOf('SHUTDOWN_DELAY_MS') + envOf('SHUTDOWN_GRACE_MS')) / 1000;
        assert.ok(
          must(pod.spec.terminationGracePeriodSeconds) > drainSeconds,
          `terminationGracePeriodSeconds ${pod.spec.terminationGracePeriodSeconds} must exceed the drain time ${drainSeconds}s`,
        );
        assert.equal(must(container.env).find((e) => e.name === 'HOST')?.value, '0.0.0.0');
        assert.deepEqual(
          must(container.ports).map((p) => p.name),
          ['http', 'metrics'],
        );
      });

      test(`${name}: metrics port scraped through a ServiceMonitor`, () => {
        const monitor = find('ServiceMonitor', namespace, name);
        assert.ok(monitor, 'ServiceMonitor');
        const endpoints = (monitor['spec'] as { endpoints: { port: string }[] }).endpoints;
        assert.deepEqual(
          endpoints.map((e) => e.port),
          ['metrics'],
        );
        const service = must(find('Service', namespace, name));
        const ports = (service['spec'] as { ports: { name: string; port: number }[] }).ports;
        assert.equal(ports.find((p) => p.name === 'metrics')?.port, 9464);
      });

      test(`${name}: spread across nodes and zones`, () => {
        const pod = must(podTemplate(must(find('Deployment', namespace, name))));
        const keys = (pod.spec['topologySpreadConstraints'] as { topologyKey: string }[]).map((t) => t.topologyKey);
        assert.deepEqual(keys, ['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
      });
    }

    test('every platform namespace exists, enforces a Pod Security level, and denies all traffic by default', () => {
      for (const namespace of platformNamespaces) {
        const ns = find('Namespace', undefined, namespace);
        assert.ok(ns, `Namespace ${namespace}`);
        assert.ok(
          ns.metadata.labels?.['pod-security.kubernetes.io/enforce'],
          `${namespace} enforces a Pod Security level`,
        );
        const deny = objects.find(
          (o) =>
            o.kind === 'NetworkPolicy' &&
            o.metadata.namespace === namespace &&
            JSON.stringify((o['spec'] as { podSelector: unknown }).podSelector) === '{}' &&
            JSON.stringify((o['spec'] as { policyTypes: string[] }).policyTypes) === '["Ingress","Egress"]' &&
            (o['spec'] as { ingress?: unknown[] }).ingress === undefined &&
            (o['spec'] as { egress?: unknown[] }).egress === undefined,
        );
        assert.ok(deny, `${namespace} has a default-deny (ingress and egress) NetworkPolicy`);
      }
    });

    test('every namespace that runs pods from these charts enforces Pod Security restricted', () => {
      // Derived from the workloads, so a new chart in a laxer namespace fails here, not at admission on a cluster.
      const namespaces = [...new Set(workloads.map((w) => must(w.metadata.namespace)))].sort();
      assert.deepEqual(namespaces, ['api-ns', 'auth-ns', 'data-ns', 'image-ns', 'ingress-ns', 'prober-ns']);
      for (const namespace of namespaces) {
        assert.equal(
          must(must(find('Namespace', undefined, namespace)).metadata.labels)['pod-security.kubernetes.io/enforce'],
          'restricted',
          namespace,
        );
      }
    });

    test(`only the API has a route, on the Gateway's HTTPS listener; plain HTTP only redirects`, () => {
      type Route = K8sObject & {
        spec: {
          parentRefs: { namespace?: string; name: string; sectionName?: string }[];
          hostnames?: string[];
          rules: {
            backendRefs?: { name: string; port: number }[];
            filters?: { type: string; requestRedirect?: { scheme: string } }[];
          }[];
        };
      };
      const routes = objects.filter((o) => o.kind === 'HTTPRoute') as Route[];
      const gateway = must(find('Gateway', 'ingress-ns', 'platform'));
      type Listener = {
        name: string;
        protocol: string;
        hostname: string;
        tls?: { mode: string; certificateRefs: { name: string }[] };
        allowedRoutes: { namespaces: { from: string; selector?: { matchLabels: Record<string, string> } } };
      };
      const listeners = (gateway['spec'] as { listeners: Listener[] }).listeners;
      const listener = (name: string): Listener =>
        must(
          listeners.find((l) => l.name === name),
          `listener ${name}`,
        );
      const attachedTo = (route: Route): string[] =>
        route.spec.parentRefs.map(
          (p) => `${p.namespace ?? must(route.metadata.namespace)}/${p.name}/${p.sectionName ?? '*'}`,
        );

      const served = routes.filter((r) => r.spec.rules.some((rule) => (rule.backendRefs ?? []).length > 0));
      assert.deepEqual(
        served.map((r) => `${r.metadata.namespace}/${r.metadata.name}`),
        ['api-ns/api'],
      );
      const api = must(served[0]);
      assert.deepEqual(attachedTo(api), ['ingress-ns/platform/https']);
      assert.deepEqual(api.spec.hostnames, [listener('https').hostname], `the route's host is the listener's`);
      assert.deepEqual(
        api.spec.rules.flatMap((r) => r.backendRefs ?? []),
        [{ name: 'api', port: 3000 }],
      );

      assert.equal(listener('https').protocol, 'HTTPS');
      assert.equal(listener('https').tls?.mode, 'Terminate');
      assert.equal(listener('http').protocol, 'HTTP');
      assert.equal(
        listener('http').allowedRoutes.namespaces.from,
        'Same',
        `only the edge's own redirect attaches to plain HTTP`,
      );
      for (const route of routes.filter((r) => r !== api)) {
        assert.deepEqual(
          attachedTo(route),
          ['ingress-ns/platform/http'],
          `${route.metadata.name} is on the http listener`,
        );
        assert.deepEqual(
          route.spec.rules.flatMap((r) => r.filters ?? []).map((f) => `${f.type}:${f.requestRedirect?.scheme ?? ''}`),
          ['RequestRedirect:https'],
        );
      }
    });

    test('routes may attach to the HTTPS listener only from api-ns (a label only it carries), not from All', () => {
      const gateway = must(find('Gateway', 'ingress-ns', 'platform'));
      const listeners = (
        gateway['spec'] as {
          listeners: {
            name: string;
            allowedRoutes: { namespaces: { from: string; selector?: { matchLabels: Record<string, string> } } };
          }[];
        }
      ).listeners;
      for (const l of listeners) assert.notEqual(l.allowedRoutes.namespaces.from, 'All', l.name);
      const https = must(listeners.find((l) => l.name === 'https')).allowedRoutes.namespaces;
      assert.equal(https.from, 'Selector');
      const allowed = objects
        .filter((o) => o.kind === 'Namespace' && selects(must(https.selector), o.metadata.labels ?? {}))
        .map((o) => o.metadata.name);
      assert.deepEqual(allowed, ['api-ns']);
    });

    test(`the HTTPS listener's certificate: a Secret in ingress-ns issued by cert-manager from the platform CA`, () => {
      const gateway = must(find('Gateway', 'ingress-ns', 'platform'));
      const https = must(
        (
          gateway['spec'] as {
            listeners: {
              name: string;
              hostname: string;
              tls?: { certificateRefs: { kind?: string; name: string; namespace?: string }[] };
            }[];
          }
        ).listeners.find((l) => l.name === 'https'),
      );
      const [ref] = must(https.tls).certificateRefs;
      assert.equal(must(ref).kind ?? 'Secret', 'Secret');
      assert.equal(must(ref).namespace, undefined, `the Gateway's own namespace: no ReferenceGrant needed`);
      const certificate = must(
        objects.find((o) => o.kind === 'Certificate' && o.metadata.namespace === 'ingress-ns'),
        'a Certificate in ingress-ns',
      );
      const spec = certificate['spec'] as {
        secretName: string;
        dnsNames: string[];
        issuerRef: { kind: string; name: string };
      };
      assert.equal(spec.secretName, must(ref).name);
      assert.deepEqual(spec.dnsNames, [https.hostname]);
      assert.deepEqual(spec.issuerRef, {
        group: 'cert-manager.io',
        kind: 'ClusterIssuer',
        name: must(find('ClusterIssuer', undefined, 'platform-selfsigned')).metadata.name,
      });
    });

    test('only the edge is exposed outside the cluster: a NodePort Service for HTTP and HTTPS; every other Service is internal', () => {
      const services = objects.filter((o) => o.kind === 'Service');
      const exposed = services.filter((s) => ((s['spec'] as { type?: string }).type ?? 'ClusterIP') !== 'ClusterIP');
      assert.deepEqual(
        exposed.map((s) => `${s.metadata.namespace}/${s.metadata.name}`),
        ['ingress-ns/edge'],
      );
      const ports = must(exposed[0])['spec'] as {
        type: string;
        ports: { name: string; targetPort: string; nodePort: number }[];
      };
      assert.equal(ports.type, 'NodePort');
      assert.deepEqual(
        ports.ports.map((p) => `${p.name}:${p.targetPort}:${p.nodePort}`),
        ['http:web:30080', 'https:websecure:30443'],
      );
    });
  });
}

test('prod runs every service with at least 3 replicas under an HPA', () => {
  const objects = renderEnvironment('prod');
  for (const name of ['api', 'auth', 'image']) {
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === name);
    assert.ok(hpa, `${name} HPA`);
    assert.ok((hpa['spec'] as { minReplicas: number }).minReplicas >= 3);
  }
  assert.ok(readYaml('helm/env/prod/api.yaml'));
});
