// The edge (helm/charts/edge): Traefik's static configuration as rendered, checked against what the Deployment,
// the Gateway and the services expect of it; its RBAC; its drain; and the chart's TLS switch.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  components,
  environments,
  type K8sObject,
  must,
  podTemplate,
  readText,
  readYaml,
  render,
  renderEnvironment,
  repoRoot,
  toolFails,
} from './lib/repo.ts';

type EntryPoint = {
  address: string;
  transport?: {
    lifeCycle?: { requestAcceptGraceTimeout?: string; graceTimeOut?: string };
    respondingTimeouts?: { readTimeout?: string };
  };
  forwardedHeaders?: unknown;
};
type StaticConfig = {
  entryPoints: Record<string, EntryPoint>;
  providers: Record<string, { namespaces?: string[]; experimentalChannel?: boolean }>;
  api?: unknown;
  ping: { entryPoint: string };
  metrics: {
    prometheus: {
      entryPoint: string;
      addEntryPointsLabels?: boolean;
      addRoutersLabels?: boolean;
      addServicesLabels?: boolean;
    };
  };
  log: { format: string };
  accessLog: { format: string; fields: { headers: { defaultMode: string } } };
};
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

/** Traefik durations as written here: "600s" or "5000ms". */
const milliseconds = (duration: string | undefined): number => {
  const match = must(/^(\d+)(ms|s)$/.exec(must(duration, 'a duration')), `a duration in s or ms: ${duration}`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
};

for (const env of environments) {
  describe(`edge (${env})`, () => {
    const objects = renderEnvironment(env);
    const find = (kind: string, namespace: string | undefined, name: string): K8sObject =>
      must(
        objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace),
        `${kind} ${namespace ?? ''}/${name}`,
      );
    const config = parse(
      must((find('ConfigMap', 'ingress-ns', 'edge')['data'] as Record<string, string>)['traefik.yaml']),
    ) as StaticConfig;
    const deployment = find('Deployment', 'ingress-ns', 'edge');
    const pod = must(podTemplate(deployment));
    const container = must(pod.spec.containers[0]);
    const containerPorts = Object.fromEntries((container.ports ?? []).map((p) => [must(p.name), p.containerPort]));
    const port = (address: string): number => Number(must(/^:(\d+)$/.exec(address))[1]);

    test('runs Traefik v3.6.12 with this configuration file', () => {
      assert.match(container.image, /^(docker\.io\/library\/)?traefik:v3\.6\.12$/);
      assert.deepEqual((container as { args?: string[] }).args, ['--configFile=/etc/traefik/traefik.yaml']);
      assert.ok(
        (pod.metadata as { annotations?: Record<string, string> }).annotations?.['checksum/config'],
        'a configuration change rolls the pods',
      );
    });

    test('one entry point per container port, none privileged', () => {
      assert.deepEqual(
        Object.fromEntries(Object.entries(config.entryPoints).map(([name, ep]) => [name, port(ep.address)])),
        containerPorts,
      );
      assert.deepEqual(containerPorts, { web: 8000, websecure: 8443, metrics: 9100, ping: 8082 });
      for (const number of Object.values(containerPorts)) assert.ok(number >= 1024, `${number} needs no privilege`);
    });

    test('only the Gateway API provider (no Ingress, CRD or experimental resources), no API or dashboard', () => {
      assert.deepEqual(Object.keys(config.providers), ['kubernetesGateway']);
      assert.notEqual(must(config.providers['kubernetesGateway']).experimentalChannel, true);
      assert.equal(config.api, undefined);
    });

    test('each Gateway listener binds to the entry point with its port (Traefik matches them by port)', () => {
      const listeners = (
        find('Gateway', 'ingress-ns', 'platform')['spec'] as { listeners: { name: string; port: number }[] }
      ).listeners;
      assert.deepEqual(Object.fromEntries(listeners.map((l) => [l.name, l.port])), {
        https: containerPorts['websecure'],
        http: containerPorts['web'],
      });
      const gatewayClass = find(
        'GatewayClass',
        undefined,
        (find('Gateway', 'ingress-ns', 'platform')['spec'] as { gatewayClassName: string }).gatewayClassName,
      );
      assert.equal(
        (gatewayClass['spec'] as { controllerName: string }).controllerName,
        'traefik.io/gateway-controller',
      );
    });

    test('probes on /ping on its own entry point; metrics with entry point, router and service labels; JSON logs without headers', () => {
      assert.equal(config.ping.entryPoint, 'ping');
      for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
        assert.deepEqual((probe as { httpGet: unknown }).httpGet, { path: '/ping', port: 'ping' });
      }
      assert.deepEqual(config.metrics.prometheus, {
        entryPoint: 'metrics',
        addEntryPointsLabels: true,
        addRoutersLabels: true,
        addServicesLabels: true,
      });
      const monitor = find('ServiceMonitor', 'ingress-ns', 'edge');
      const service = find('Service', 'ingress-ns', 'edge-metrics');
      assert.equal((service['spec'] as { type: string }).type, 'ClusterIP', 'metrics stay inside the cluster');
      const selector = (monitor['spec'] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      const monitored = objects.filter(
        (o) => o.kind === 'Service' && Object.entries(selector).every(([k, v]) => o.metadata.labels?.[k] === v),
      );
      assert.deepEqual(
        monitored.map((s) => s.metadata.name),
        ['edge-metrics'],
      );
      assert.equal(config.log.format, 'json');
      assert.equal(config.accessLog.format, 'json');
      assert.equal(config.accessLog.fields.headers.defaultMode, 'drop', 'Authorization headers never reach the logs');
    });

    test("feeds the edge SLI: job edge, and websecure's requests as edge_http_requests_total (slo/specs/api.yml)", () => {
      const spec = readText('slo/specs/api.yml');
      assert.match(spec, /edge_http_requests_total\{job="edge"/, 'the SLO reads what the ServiceMonitor writes');
      const monitor = find('ServiceMonitor', 'ingress-ns', 'edge');
      const endpoint = must((monitor['spec'] as { endpoints: Record<string, unknown>[] }).endpoints[0]);
      assert.deepEqual(endpoint['relabelings'], [{ targetLabel: 'job', replacement: 'edge' }]);
      const [rename, ...others] = endpoint['metricRelabelings'] as Record<string, unknown>[];
      assert.deepEqual(others, []);
      assert.deepEqual(rename, {
        sourceLabels: ['__name__', 'entrypoint'],
        regex: 'traefik_entrypoint_requests_total;websecure',
        targetLabel: '__name__',
        replacement: 'edge_http_requests_total',
      });
      // websecure is the entry point of the Gateway's HTTPS listener, where users arrive.
      assert.equal(must(config.entryPoints['websecure']).address, ':8443');
    });

    test('streams: no buffering middleware, 600 s to read a request body on websecure, clients cannot forge X-Forwarded-For', () => {
      assert.equal(
        objects.filter((o) => o.apiVersion.startsWith('traefik.io/')).length,
        0,
        'no Traefik Middleware (buffering or other)',
      );
      assert.equal(JSON.stringify(objects).includes('buffering'), false);
      assert.ok(
        milliseconds(must(config.entryPoints['websecure']).transport?.respondingTimeouts?.readTimeout) >= 600_000,
      );
      for (const [name, ep] of Object.entries(config.entryPoints))
        assert.equal(ep.forwardedHeaders, undefined, `${name} trusts no client's forwarded headers`);
    });

    test('drains like the services: unready first, then in-flight requests finish before the kubelet kills it', () => {
      for (const [name, ep] of Object.entries(config.entryPoints)) {
        const lifeCycle = must(ep.transport?.lifeCycle, `${name} lifeCycle`);
        const drain = milliseconds(lifeCycle.requestAcceptGraceTimeout) + milliseconds(lifeCycle.graceTimeOut);
        assert.ok(
          must(pod.spec.terminationGracePeriodSeconds) * 1000 > drain,
          `${name}: terminationGracePeriodSeconds covers ${drain} ms`,
        );
        // The readiness probe sees /ping answer 503 well before Traefik stops accepting.
        const readiness = container.readinessProbe as { periodSeconds: number; failureThreshold: number };
        assert.ok(
          readiness.periodSeconds * readiness.failureThreshold * 1000 <
            milliseconds(lifeCycle.requestAcceptGraceTimeout),
          `${name}: unready before it stops accepting`,
        );
      }
      const graceTimeOut = milliseconds(must(config.entryPoints['websecure']).transport?.lifeCycle?.graceTimeOut);
      for (const service of ['api', 'image']) {
        const env = must(podTemplate(find('Deployment', `${service}-ns`, service))?.spec.containers[0]?.env);
        const grace = Number(must(env.find((e) => e.name === 'SHUTDOWN_GRACE_MS')).value);
        assert.ok(
          graceTimeOut >= grace,
          `an in-flight ${service} request gets as long through a draining edge as in a draining ${service} (${grace} ms)`,
        );
      }
    });

    test('its service account token is mounted (it watches the API); no other pod gets one', () => {
      assert.equal(pod.spec['automountServiceAccountToken'], true);
      for (const workload of objects.filter((o) => podTemplate(o) && o !== deployment)) {
        assert.equal(
          must(podTemplate(workload)).spec['automountServiceAccountToken'],
          false,
          `${workload.metadata.namespace}/${workload.metadata.name}`,
        );
      }
    });

    test("RBAC: exactly what Traefik 3.6's Gateway API provider reads and writes; namespaced objects only where it watches", () => {
      const rules = (name: string): string[] =>
        (find('ClusterRole', undefined, name)['rules'] as Rule[])
          .flatMap((r) =>
            r.apiGroups.flatMap((g) => r.resources.map((res) => `${g || 'core'}/${res}: ${r.verbs.join(',')}`)),
          )
          .sort();
      assert.deepEqual(rules('edge'), [
        'core/namespaces: list,watch',
        'gateway.networking.k8s.io/gatewayclasses/status: update',
        'gateway.networking.k8s.io/gatewayclasses: get,list,watch',
      ]);
      assert.deepEqual(rules('edge-namespaced'), [
        'core/configmaps: get,list,watch',
        'core/secrets: get,list,watch',
        'core/services: get,list,watch',
        'discovery.k8s.io/endpointslices: list,watch',
        'gateway.networking.k8s.io/backendtlspolicies/status: update',
        'gateway.networking.k8s.io/backendtlspolicies: get,list,watch',
        'gateway.networking.k8s.io/gateways/status: update',
        'gateway.networking.k8s.io/gateways: get,list,watch',
        'gateway.networking.k8s.io/grpcroutes/status: update',
        'gateway.networking.k8s.io/grpcroutes: get,list,watch',
        'gateway.networking.k8s.io/httproutes/status: update',
        'gateway.networking.k8s.io/httproutes: get,list,watch',
        'gateway.networking.k8s.io/referencegrants: get,list,watch',
      ]);
      const account = { kind: 'ServiceAccount', name: 'edge', namespace: 'ingress-ns' };
      const clusterBindings = objects.filter((o) => o.kind === 'ClusterRoleBinding');
      assert.deepEqual(
        clusterBindings.map((b) => [(b['roleRef'] as { name: string }).name, b['subjects']]),
        [['edge', [account]]],
      );
      const bindings = objects.filter((o) => o.kind === 'RoleBinding');
      const watched = must(config.providers['kubernetesGateway']).namespaces;
      assert.deepEqual(
        bindings.map((b) => b.metadata.namespace).sort(),
        [...must(watched, 'a namespace list: not the whole cluster')].sort(),
      );
      for (const b of bindings)
        assert.deepEqual([(b['roleRef'] as { name: string }).name, b['subjects']], ['edge-namespaced', [account]]);
    });

    test('watches its own namespace and those that may attach routes, whose backends its policy lets it reach', () => {
      const watched = must(must(config.providers['kubernetesGateway']).namespaces);
      const routeNamespaces = [
        ...new Set(objects.filter((o) => o.kind === 'HTTPRoute').map((r) => must(r.metadata.namespace))),
      ];
      assert.deepEqual([...watched].sort(), routeNamespaces.sort());
      const policy = find('NetworkPolicy', 'ingress-ns', 'edge');
      const egress = (
        policy['spec'] as { egress: { to: { namespaceSelector?: { matchLabels: Record<string, string> } }[] }[] }
      ).egress;
      const reached = egress.flatMap((rule) =>
        rule.to.flatMap((peer) => peer.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] ?? []),
      );
      assert.deepEqual(
        reached,
        watched.filter((n) => n !== 'ingress-ns'),
      );
    });
  });
}

describe('edge chart values', () => {
  const edge = { component: 'edge', namespace: 'ingress-ns', wave: '1', valuesScheme: '' };

  test("the client's address survives the edge where it can, and the api trusts exactly the edge's one hop", () => {
    const policy = (objects: K8sObject[]): unknown =>
      (
        must(objects.find((o) => o.kind === 'Service' && o.metadata.name === 'edge'))['spec'] as Record<string, unknown>
      )['externalTrafficPolicy'];
    // No SNAT by kube-proxy: Traefik sees the client, and writes it as the only X-Forwarded-For entry.
    assert.equal(
      readYaml<{ externalTrafficPolicy: string }>('helm/charts/edge/values.yaml').externalTrafficPolicy,
      'Local',
    );
    const localCluster = ['--values', `${repoRoot}/helm/env/local-cluster/edge.yaml`];
    assert.equal(
      policy(render('dev', edge, localCluster)),
      'Local',
      'npm run cluster: one node, NodePort reached directly',
    );
    // kind: Docker's port mapping to the control-plane node has already replaced the address (helm/env/dev/edge.yaml).
    for (const env of environments) assert.equal(policy(render(env, edge)), 'Cluster', `${env} runs on kind`);

    const api = must(components().find((c) => c.component === 'api'));
    for (const env of environments) {
      const deployment = must(render(env, api).find((o) => o.kind === 'Deployment'));
      const containerEnv = must(podTemplate(deployment)?.spec.containers[0]?.env);
      assert.equal(must(containerEnv.find((e) => e.name === 'TRUST_PROXY')).value, '1', `${env}: one trusted hop`);
    }
  });

  test('without cert-manager it renders no Certificate and uses the Secret it is given', () => {
    const objects = render('dev', edge, [
      '--set',
      'tls.certManager.enabled=false',
      '--set',
      'tls.secretName=made-beforehand',
    ]);
    assert.equal(objects.filter((o) => o.kind === 'Certificate').length, 0);
    const gateway = must(objects.find((o) => o.kind === 'Gateway'));
    assert.match(
      JSON.stringify(gateway['spec']),
      /"certificateRefs":\[\{"group":"","kind":"Secret","name":"made-beforehand"\}\]/,
    );
  });

  test('plain HTTP redirects to the HTTPS port clients use: 443 implied (kind), or the node port where they use it', () => {
    const redirect = (objects: K8sObject[]): unknown => {
      const route = must(objects.find((o) => o.kind === 'HTTPRoute' && o.metadata.name === 'https-redirect'));
      return (route['spec'] as { rules: { filters: { requestRedirect: unknown }[] }[] }).rules[0]?.filters[0]
        ?.requestRedirect;
    };
    assert.deepEqual(redirect(render('dev', edge)), { scheme: 'https', statusCode: 301 });
    assert.deepEqual(redirect(render('dev', edge, ['--set', 'gateway.publicHttpsPort=30443'])), {
      scheme: 'https',
      port: 30443,
      statusCode: 301,
    });
  });

  test('refuses to render without a Secret name, saying what to do', () => {
    const out = toolFails('helm', [
      'template',
      'edge',
      'helm/charts/edge',
      '--namespace',
      'ingress-ns',
      '--set',
      'tls.certManager.enabled=false',
      '--set',
      'tls.secretName=',
    ]);
    assert.match(out, /tls\.secretName is required.*create it beforehand/);
  });

  test('the edge and the platform chart agree on where the API server is (outside the pod network)', () => {
    type ApiServer = { port: number; podCIDR: string };
    const platform = readYaml<{
      apiServer: ApiServer;
      edge: { namespace: string; podLabels: Record<string, string>; metricsPort: number };
    }>('helm/charts/platform/values.yaml');
    const values = readYaml<{ networkPolicy: { apiServer: ApiServer }; ports: { metrics: number } }>(
      'helm/charts/edge/values.yaml',
    );
    assert.deepEqual(values.networkPolicy.apiServer, platform.apiServer);
    assert.equal(
      platform.edge.metricsPort,
      values.ports.metrics,
      'Prometheus may reach the port the edge serves metrics on',
    );
  });
});
