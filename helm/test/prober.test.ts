// The journey prober's chart (helm/charts/prober): it reaches the platform only as a user does, through the edge,
// under the edge's public name, verifying the edge's certificate with the platform's CA; its password comes from
// a Secret file; Prometheus scrapes it as job "prober", which the journey SLO's rules read (slo/specs/journey.yml).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { components, environments, type K8sObject, must, podTemplate, readYaml, render } from './lib/repo.ts';

const component = must(
  components().find((c) => c.component === 'prober'),
  'the prober in argocd/applicationset.yaml',
);
const edge = must(components().find((c) => c.component === 'edge'));

type Policy = K8sObject & {
  spec: {
    ingress: { from?: { namespaceSelector?: unknown; podSelector?: unknown }[]; ports: { port: unknown }[] }[];
    egress: {
      to: { namespaceSelector: { matchLabels: Record<string, string> }; podSelector: { matchLabels: unknown } }[];
      ports: { port: unknown; protocol: string }[];
    }[];
  };
};

for (const env of environments) {
  describe(`the journey prober (${env})`, () => {
    const objects = render(env, component);
    const find = (kind: string, name?: string) =>
      objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
    const deployment = must(find('Deployment', 'prober'), 'its Deployment');
    const pod = must(podTemplate(deployment));
    const container = must(pod.spec.containers[0]);
    const env_ = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']));
    const edgeObjects = render(env, edge);
    const edgeValues = readYaml<{ gateway?: { host?: string } }>(`helm/env/${env}/edge.yaml`);
    const edgeHost =
      edgeValues.gateway?.host ?? readYaml<{ gateway: { host: string } }>('helm/charts/edge/values.yaml').gateway.host;

    test('probes the public name of this environment’s edge, dialling the edge’s Service on its HTTPS port', () => {
      assert.equal(env_['PROBE_BASE_URL'], `https://${edgeHost}`);
      const service = must(
        edgeObjects.find((o) => o.kind === 'Service' && o.metadata.name === 'edge'),
        "the edge's Service",
      ) as K8sObject & { spec: { ports: { name: string; port: number; targetPort: string }[] } };
      const https = must(service.spec.ports.find((p) => p.name === 'https'));
      assert.equal(env_['PROBE_CONNECT_TO'], `edge.${edge.namespace}.svc.cluster.local:${String(https.port)}`);
    });

    test('its NetworkPolicy lets it reach the edge’s HTTPS container port and nothing else; only Prometheus in', () => {
      const policy = must(find('NetworkPolicy', 'prober'), 'its NetworkPolicy') as Policy;
      const edgePod = must(
        edgeObjects.map(podTemplate).find((p) => p?.metadata.labels['app.kubernetes.io/name'] === 'edge'),
      );
      const websecure = must(
        edgePod.spec.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === 'websecure'),
        "the edge's websecure port",
      );
      assert.deepEqual(
        policy.spec.egress.map((rule) => ({
          namespace: rule.to[0]?.namespaceSelector.matchLabels['kubernetes.io/metadata.name'],
          pods: rule.to[0]?.podSelector.matchLabels,
          ports: rule.ports,
        })),
        [
          {
            namespace: edge.namespace,
            pods: { 'app.kubernetes.io/name': 'edge' },
            ports: [{ port: websecure.containerPort, protocol: 'TCP' }],
          },
        ],
      );
      // DNS: every platform namespace's allow-dns-egress (helm/charts/platform); prober-ns is one of them.
      const namespaces = readYaml<{ namespaces: { name: string; podSecurity: string }[] }>(
        'helm/charts/platform/values.yaml',
      ).namespaces;
      assert.deepEqual(
        namespaces.find((n) => n.name === component.namespace),
        { name: component.namespace, podSecurity: 'restricted' },
      );
      assert.deepEqual(
        policy.spec.ingress.map((rule) => rule.ports.map((p) => p.port)),
        [['metrics']],
        'nobody calls the prober; Prometheus scrapes its metrics port',
      );
    });

    test('trusts the platform CA from a Secret of its own, which the platform’s issuer fills', () => {
      assert.equal(env_['PROBE_CA_FILE'], '/run/secrets/prober-edge-ca/ca.crt');
      const certificate = must(find('Certificate'), 'its Certificate') as K8sObject & {
        spec: { secretName: string; issuerRef: { kind: string; name: string } };
      };
      assert.equal(certificate.spec.secretName, 'prober-edge-ca');
      const issuer = readYaml<{ clusterIssuer: { name: string } }>('helm/charts/platform/values.yaml').clusterIssuer
        .name;
      const edgeIssuer = readYaml<{ tls: { certManager: { clusterIssuer: string } } }>('helm/charts/edge/values.yaml')
        .tls.certManager.clusterIssuer;
      assert.deepEqual(certificate.spec.issuerRef, { group: 'cert-manager.io', kind: 'ClusterIssuer', name: issuer });
      assert.equal(edgeIssuer, issuer, 'the same CA signs the edge’s certificate');
    });

    test('reads its password from a Secret file, never from a value', () => {
      assert.equal(env_['PROBE_PASSWORD_FILE'], '/run/secrets/prober-account/password');
      assert.equal(env_['PROBE_PASSWORD'], undefined);
    });

    test('journeys every 30 s within 10 s, from one replica: its journeys are the SLI and the traffic floor', () => {
      assert.equal(env_['PROBE_INTERVAL_MS'], '30000');
      assert.equal(env_['PROBE_TIMEOUT_MS'], '10000');
      assert.equal((deployment['spec'] as { replicas?: number }).replicas, 1);
      assert.equal(find('HorizontalPodAutoscaler'), undefined);
    });

    test('is scraped as job "prober", the job the journey SLO reads', () => {
      const monitor = must(find('ServiceMonitor'), 'its ServiceMonitor') as K8sObject & {
        spec: { jobLabel?: string; endpoints: { port: string }[] };
      };
      assert.equal(monitor.spec.jobLabel, undefined, 'job is the Service name');
      assert.ok(find('Service', 'prober'));
      assert.deepEqual(
        monitor.spec.endpoints.map((e) => e.port),
        ['metrics'],
      );
      const spec = readYaml<{ slos: { sli: { events: { total_query: string } } }[] }>('slo/specs/journey.yml');
      for (const slo of spec.slos) assert.match(slo.sli.events.total_query, /\{job="prober"/);
      const platform = readYaml<{ monitoring: { scrapedNamespaces: string[] } }>('helm/charts/platform/values.yaml');
      assert.ok(platform.monitoring.scrapedNamespaces.includes(component.namespace), 'Prometheus may reach it');
    });
  });
}

test('the local cluster, which has no cert-manager controller, gets no Certificate but its replica', () => {
  const objects = render('dev', component, ['--values', 'helm/env/local-cluster/prober.yaml']);
  assert.equal(
    objects.find((o) => o.kind === 'Certificate'),
    undefined,
    'a Certificate nothing issues stays Progressing, and Argo CD never calls dev healthy',
  );
  // prober-edge-ca comes from the cluster tool instead (scripts/cluster/platform.ts); helm/test/cluster/prober.test.ts
  // watches the prober's journeys succeed with it.
  const deployment = must(objects.find((o) => o.kind === 'Deployment'));
  assert.equal((deployment['spec'] as { replicas?: number }).replicas, 1);
});
