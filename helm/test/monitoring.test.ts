// The monitoring add-on's footprint: Grafana's sidecar reads ConfigMaps of monitoring-ns and nothing else of the
// cluster, and only node-exporter's own namespace is privileged, with node-exporter still scraped. And every
// Prometheus labels its alerts with its environment.
//
// kube-prometheus-stack cannot be fetched on these machines (its chart repository is not reachable), so Grafana's RBAC
// is computed by the conditions of the grafana chart's own templates (templates/clusterrole.yaml,
// clusterrolebinding.yaml, role.yaml and rolebinding.yaml of grafana/helm-charts, transcribed below) from the
// values Argo CD gives it. The platform chart's Namespaces are rendered for real.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { mergePatch } from './lib/gotemplate.ts';
import {
  environments,
  type K8sObject,
  must,
  parseDocuments,
  readText,
  readYaml,
  renderEnvironment,
  tool,
} from './lib/repo.ts';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
type Sidecar = { enabled?: boolean; resource?: string; searchNamespace?: unknown };
type GrafanaValues = {
  rbac?: {
    create?: boolean;
    namespaced?: boolean;
    useExistingRole?: string;
    extraClusterRoleRules?: Rule[];
    extraRoleRules?: Rule[];
  };
  sidecar?: { dashboards?: Sidecar; datasources?: Sidecar; notifiers?: Sidecar };
  extraObjects?: (K8sObject & { rules?: Rule[] })[];
};
type StackValues = {
  grafana: GrafanaValues;
  'prometheus-node-exporter'?: { namespaceOverride?: string };
  prometheus: {
    prometheusSpec: {
      serviceMonitorNamespaceSelector?: unknown;
      retention?: string;
      retentionSize?: string;
      storageSpec?: { volumeClaimTemplate?: { spec?: { resources?: { requests?: { storage?: string } } } } };
    };
  };
};

const stack = readYaml<StackValues>('helm/addons/kube-prometheus-stack.values.yaml');
const monitoringNamespace = 'monitoring-ns';
const releaseFullname = 'kps-grafana';

/** The grafana chart's defaults that its RBAC templates read, with kube-prometheus-stack's own overrides (both sidecars on). */
const defaults = {
  rbac: { create: true, namespaced: false, useExistingRole: '', extraClusterRoleRules: [], extraRoleRules: [] },
  sidecar: { dashboards: { enabled: true }, datasources: { enabled: true }, notifiers: { enabled: false } },
};

/** The RBAC objects the grafana chart renders for these values (its templates' conditions and rules). */
function grafanaRbac(values: GrafanaValues): { kind: string; name: string; rules?: Rule[]; roleRef?: string }[] {
  const rbac = { ...defaults.rbac, ...values.rbac };
  const sidecar = {
    dashboards: { ...defaults.sidecar.dashboards, ...values.sidecar?.dashboards },
    datasources: { ...defaults.sidecar.datasources, ...values.sidecar?.datasources },
    notifiers: { ...defaults.sidecar.notifiers, ...values.sidecar?.notifiers },
  };
  const anySidecar = sidecar.dashboards.enabled || sidecar.datasources.enabled || sidecar.notifiers.enabled;
  const sidecarRule: Rule = { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'watch', 'list'] };
  const objects: { kind: string; name: string; rules?: Rule[]; roleRef?: string }[] = [];
  if (rbac.create && !rbac.namespaced && !rbac.useExistingRole)
    objects.push({
      kind: 'ClusterRole',
      name: `${releaseFullname}-clusterrole`,
      rules: [...(anySidecar ? [sidecarRule] : []), ...rbac.extraClusterRoleRules],
    });
  if (rbac.create && (!rbac.namespaced || rbac.extraClusterRoleRules.length > 0))
    objects.push({ kind: 'ClusterRoleBinding', name: `${releaseFullname}-clusterrolebinding` });
  if (rbac.create && !rbac.useExistingRole)
    objects.push({
      kind: 'Role',
      name: releaseFullname,
      rules: [...(rbac.namespaced && anySidecar ? [sidecarRule] : []), ...rbac.extraRoleRules],
    });
  if (rbac.create)
    objects.push({ kind: 'RoleBinding', name: releaseFullname, roleRef: rbac.useExistingRole || releaseFullname });
  return objects;
}

describe("Grafana's access to the cluster", () => {
  const rbac = grafanaRbac(stack.grafana);

  test('no ClusterRole and no ClusterRoleBinding: nothing cluster-wide, so no Secret of another namespace', () => {
    assert.deepEqual(
      rbac.filter((o) => o.kind.startsWith('Cluster')).map((o) => `${o.kind}/${o.name}`),
      [],
    );
  });

  test('its RoleBinding grants a Role of monitoring-ns that reads ConfigMaps only', () => {
    const binding = must(
      rbac.find((o) => o.kind === 'RoleBinding'),
      'the RoleBinding',
    );
    const chartRole = rbac.find((o) => o.kind === 'Role' && o.name === binding.roleRef);
    const ownRole = stack.grafana.extraObjects?.find((o) => o.kind === 'Role' && o.metadata.name === binding.roleRef);
    const role = must(chartRole ?? ownRole, `Role ${binding.roleRef}`);
    if (ownRole) assert.equal(ownRole.metadata.namespace, monitoringNamespace);
    assert.deepEqual(role.rules, [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }]);
  });

  test('the sidecars watch ConfigMaps of their own namespace, never Secrets or other namespaces', () => {
    for (const name of ['dashboards', 'datasources'] as const) {
      const sidecar = stack.grafana.sidecar?.[name] ?? {};
      assert.equal(sidecar.resource, 'configmap', `${name}: resource`);
      assert.equal(sidecar.searchNamespace, undefined, `${name}: searchNamespace`);
    }
  });
});

/** A Prometheus duration (30d, 12h, 1w) in days. */
function days(duration: string): number {
  const units: Record<string, number> = { y: 365, w: 7, d: 1, h: 1 / 24, m: 1 / 1440 };
  const parts = [...duration.matchAll(/(\d+)([ywdhm])/g)];
  assert.equal(parts.map((part) => part[0]).join(''), duration, `a duration: ${duration}`);
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * must(units[must(unit)]), 0);
}

/** A Kubernetes quantity or a Prometheus size (20Gi, 16GB) in bytes. */
function bytes(size: string): number {
  const units: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    KB: 1e3,
    MB: 1e6,
    GB: 1e9,
    TB: 1e12,
  };
  const match = must(/^(\d+)(Ki|Mi|Gi|Ti|KB|MB|GB|TB)$/.exec(size), `a size: ${size}`);
  return Number(match[1]) * must(units[must(match[2])]);
}

describe("Prometheus keeps the SLOs' 30 days", () => {
  const spec = stack.prometheus.prometheusSpec;
  // The SLO period, as the generated rules record it (slo:time_period:days; Sloth's default of 30).
  const periods = [
    ...readText('slo/rules/api.yml').matchAll(/record: slo:time_period:days\n\s+expr: vector\((\d+)\)/g),
  ];
  const sloDays = Math.max(...periods.map((period) => Number(period[1])));

  test('retention is at least 35 days (30 for the SLO period, and a margin)', () => {
    assert.ok(periods.length > 0 && sloDays >= 30, `the SLO period: ${String(sloDays)} days`);
    assert.ok(days(must(spec.retention, 'retention')) >= sloDays + 5, spec.retention);
  });

  test('on a volume of its own (an emptyDir loses them with the pod), larger than the size limit', () => {
    const storage = must(spec.storageSpec?.volumeClaimTemplate?.spec?.resources?.requests?.storage, 'storage request');
    const limit = must(spec.retentionSize, 'retentionSize');
    assert.ok(bytes(limit) < bytes(storage), `retentionSize ${limit} fits in ${storage}`);
  });
});

for (const env of environments) {
  describe(`Pod Security of the monitoring namespaces (${env})`, () => {
    const namespaces = renderEnvironment(env).filter((o) => o.kind === 'Namespace');
    const level = (name: string) =>
      must(namespaces.find((n) => n.metadata.name === name)?.metadata.labels, `Namespace ${name}`)[
        'pod-security.kubernetes.io/enforce'
      ];
    const nodeExporterNamespace = must(stack['prometheus-node-exporter']?.namespaceOverride, 'node-exporter namespace');

    test('node-exporter has a namespace of its own, the only privileged one', () => {
      assert.notEqual(nodeExporterNamespace, monitoringNamespace);
      assert.equal(level(nodeExporterNamespace), 'privileged');
      assert.deepEqual(
        namespaces
          .filter((n) => n.metadata.labels?.['pod-security.kubernetes.io/enforce'] === 'privileged')
          .map((n) => n.metadata.name),
        [nodeExporterNamespace],
      );
    });

    test('monitoring-ns enforces baseline or restricted', () => {
      assert.ok(['baseline', 'restricted'].includes(must(level(monitoringNamespace))), level(monitoringNamespace));
    });

    test('node-exporter is still scraped: its ServiceMonitor is selected from any namespace, its port is open', () => {
      assert.deepEqual(stack.prometheus.prometheusSpec.serviceMonitorNamespaceSelector, {});
      const platform = readYaml<{ monitoring: { nodeMetricsPorts: number[] } }>('helm/charts/platform/values.yaml');
      assert.ok(platform.monitoring.nodeMetricsPorts.includes(9100), "Prometheus's egress reaches node-exporter");
    });
  });
}

describe('every alert says which environment raised it (Prometheus external_labels)', () => {
  // Alertmanager groups pages per service and environment, and the notifications name the environment and link its
  // runbook and dashboards (slo/alertmanager/templates/links.tmpl).
  type PrometheusValues = { prometheus?: { prometheusSpec?: { externalLabels?: Record<string, string> } } };
  type AddOn = {
    spec: {
      sources: { chart?: string; helm?: { valueFiles: string[] } }[];
      destination: { name: string };
    };
  };

  test("dev's kube-prometheus-stack: the add-on's values files, merged in Argo CD's order, label alerts environment=dev", () => {
    const [addOn] = parseDocuments(readText('argocd/addons/kube-prometheus-stack.yaml')) as unknown as AddOn[];
    assert.equal(must(addOn).spec.destination.name, 'in-cluster', "the add-on runs in dev's cluster");
    const files = must(must(addOn).spec.sources.find((source) => source.chart)?.helm).valueFiles;
    const values = files
      .map((file) => readYaml<Record<string, unknown>>(file.replace(/^\$values\//, '')))
      .reduce(mergePatch, {}) as PrometheusValues;
    assert.deepEqual(values.prometheus?.prometheusSpec?.externalLabels, { environment: 'dev' });
  });

  test("the local cluster's Prometheus (scripts/cluster/monitoring) labels alerts environment=local-cluster", () => {
    const objects = parseDocuments(
      tool('helm', ['template', 'monitoring', 'scripts/cluster/monitoring', '--namespace', 'monitoring-ns']),
    );
    const config = must(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'prometheus-config'));
    const prometheus = parse(must((config['data'] as Record<string, string>)['prometheus.yml'])) as {
      global: { external_labels?: Record<string, string> };
    };
    assert.deepEqual(prometheus.global.external_labels, { environment: 'local-cluster' });
  });
});
