// The platform on the local cluster: the third-party CRDs, cluster DNS, then every chart of the ArgoCD
// ApplicationSet, in its waves, with the dev values (helm/env/dev) and the small diff this cluster needs
// (helm/env/local-cluster: images built on this machine, the edge's generated certificate, the edge's port).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { renderTemplate } from '../lib/template.ts';
import { waitFor } from '../lib/wait.ts';
import { podFailure, unreadyPods } from './diagnosis.ts';
import { goModuleDir } from './go-modules.ts';
import { components as applicationSetComponents, secretValues, type Component } from '../../helm/test/lib/repo.ts';
import type { Kube } from './kube.ts';
import type { Progress } from './node.ts';
import { network, repoRoot, type ClusterLayout } from './settings.ts';

const manifests = join(import.meta.dirname, 'manifests');
const localValues = join(repoRoot, 'helm/env/local-cluster');

export interface PlatformImages {
  coredns: string;
}

/** The edge's TLS Secret, made from the cluster's generated edge certificate (there is no cert-manager controller here). */
const edgeTls = { namespace: 'ingress-ns', secretName: 'platform-tls' };
/** The edge's CA for the prober to trust, as cert-manager issues it elsewhere (helm/charts/prober, edgeCa). */
const proberEdgeCa = { namespace: 'prober-ns', secretName: 'prober-edge-ca' };

/** The third-party CRDs of scripts/cluster/crds.yaml (and the namespaces their add-ons would create). */
export async function installCrds(cluster: Kube, progress: Progress): Promise<void> {
  for (const crds of readCrdSources()) {
    const documents = crdDocuments(crds);
    await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], documents.join('\n---\n'));
    if (crds.namespace !== undefined)
      await cluster.kubectl(
        ['apply', '-f', '-'],
        stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: crds.namespace } }),
      );
    progress(`CRDs: ${crds.name} (${documents.length}, ${crds.module})`);
  }
}

/** The CRDs, then cluster DNS. */
export async function installAddons(cluster: Kube, images: PlatformImages, progress: Progress): Promise<void> {
  await installCrds(cluster, progress);
  await cluster.kubectl(
    ['apply', '-f', '-'],
    renderTemplate(join(manifests, 'coredns.yaml'), {
      image: images.coredns,
      dnsServiceAddress: network.dnsServiceAddress,
      clusterDomain: network.clusterDomain,
    }),
  );
  await failFast(cluster, 'kube-system', () =>
    cluster.kubectl(['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=120s']),
  );
  progress(`cluster DNS: CoreDNS at ${network.dnsServiceAddress}`);
}

/** Installs every component with helm, wave by wave, waiting for each to be ready (the migration Job to complete). */
export async function installPlatform(cluster: Kube, layout: ClusterLayout, progress: Progress): Promise<Component[]> {
  const installed: Component[] = [];
  const waves = new Map<number, Component[]>();
  for (const component of applicationSetComponents())
    waves.set(Number(component.wave), [...(waves.get(Number(component.wave)) ?? []), component]);
  for (const wave of [...waves.keys()].sort((a, b) => a - b)) {
    for (const component of waves.get(wave) ?? []) {
      if (component.component === 'edge') await createEdgeSecret(cluster, layout);
      if (component.component === 'prober') await createProberEdgeCaSecret(cluster, layout);
      const objects = await renderComponent(cluster, layout, component);
      await createVolumes(cluster, layout, component, objects);
      const started = Date.now();
      await failFast(cluster, component.namespace, (signal) =>
        cluster.helm(
          [
            'upgrade',
            '--install',
            component.component,
            join(repoRoot, 'helm/charts', component.component),
            '--namespace',
            releaseNamespace(component, objects),
            ...valuesArguments(component, layout),
            '--wait',
            '--wait-for-jobs',
            '--timeout',
            '5m',
          ],
          signal,
        ),
      );
      installed.push(component);
      progress(
        `chart ${component.component} (wave ${wave}) installed in ${component.namespace} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      );
    }
  }
  return installed;
}

export interface MonitoringImages {
  prometheus: string;
  alertmanager: string;
  /** An image with Node for the SLO webhook receiver. */
  receiver: string;
}

/**
 * Prometheus, Alertmanager and the SLO webhook receiver in monitoring-ns (scripts/cluster/monitoring, standing in
 * for kube-prometheus-stack), scraping the namespaces the platform chart opens to Prometheus.
 */
export async function installMonitoring(cluster: Kube, images: MonitoringImages, progress: Progress): Promise<void> {
  const platformValues = parse(readFileSync(join(repoRoot, 'helm/charts/platform/values.yaml'), 'utf8')) as {
    monitoring: { scrapedNamespaces: string[] };
    edge: { namespace: string };
  };
  // The services' namespaces and the edge's (its metrics are the edge SLI's), as the platform chart's policies allow.
  const scraped = [...platformValues.monitoring.scrapedNamespaces, platformValues.edge.namespace];
  const started = Date.now();
  await failFast(cluster, 'monitoring-ns', (signal) =>
    cluster.helm(
      [
        'upgrade',
        '--install',
        'monitoring',
        join(import.meta.dirname, 'monitoring'),
        '--namespace',
        'monitoring-ns',
        '--set',
        `images.prometheus=${images.prometheus}`,
        '--set',
        `images.alertmanager=${images.alertmanager}`,
        '--set',
        `images.receiver=${images.receiver}`,
        '--set-json',
        `scrapedNamespaces=${JSON.stringify(scraped)}`,
        '--wait',
        '--timeout',
        '3m',
      ],
      signal,
    ),
  );
  progress(
    `monitoring: Prometheus, Alertmanager and the SLO receiver in monitoring-ns (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}

/**
 * Waits for `install`, unless a pod of `namespace` cannot start first: then stops it and fails with why.
 * If `install` fails (times out), the failure says what the pods that are not ready are waiting for.
 */
async function failFast(
  cluster: Kube,
  namespace: string,
  install: (signal: AbortSignal) => Promise<unknown>,
): Promise<void> {
  const abort = new AbortController();
  let finished = false;
  const failure = waitFor(`a pod in ${namespace} cannot start`, () => podFailure(cluster, namespace), {
    timeoutMs: 10 * 60_000,
    giveUpIf: () => (finished ? 'install finished' : undefined),
  }).then(
    (problem) => {
      abort.abort();
      throw new Error(`a pod cannot start: ${problem}`);
    },
    () => undefined,
  );
  try {
    await Promise.race([install(abort.signal), failure]);
  } catch (error) {
    const why = await podFailure(cluster, namespace, true)
      .then(async (failed) => failed ?? (await unreadyPods(cluster, namespace)))
      .catch(() => undefined);
    throw why === undefined ? error : new Error(`${(error as Error).message}\n${why}`, { cause: error });
  } finally {
    finished = true;
  }
}

/** The values ArgoCD gives a component in dev (decrypted for secrets), then this cluster's diff if any. */
export function valuesArguments(component: Component, layout: ClusterLayout): string[] {
  let devValues = join(repoRoot, 'helm/env/dev', `${component.component}.yaml`);
  if (component.valuesScheme === 'secrets://') {
    mkdirSync(layout.configDir, { recursive: true });
    devValues = join(layout.configDir, `${component.component}.decrypted.yaml`);
    writeFileSync(devValues, secretValues('dev'), { mode: 0o600 });
  }
  const local = join(localValues, `${component.component}.yaml`);
  return ['--values', devValues, ...(existsSync(local) ? ['--values', local] : [])];
}

export async function createEdgeSecret(cluster: Kube, layout: ClusterLayout): Promise<void> {
  await applySecret(cluster, edgeTls.namespace, [
    'tls',
    edgeTls.secretName,
    `--cert=${layout.pki.edge.certificate}`,
    `--key=${layout.pki.edge.privateKey}`,
  ]);
}

export async function createProberEdgeCaSecret(cluster: Kube, layout: ClusterLayout): Promise<void> {
  await applySecret(cluster, proberEdgeCa.namespace, [
    'generic',
    proberEdgeCa.secretName,
    `--from-file=ca.crt=${layout.pki.edgeCa.certificate}`,
  ]);
}

/** Applies the Secret `kubectl create secret <secret>` describes, and its namespace, whether or not they exist. */
async function applySecret(cluster: Kube, namespace: string, secret: string[]): Promise<void> {
  await cluster.kubectl(
    ['apply', '-f', '-'],
    stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }),
  );
  const manifest = await cluster.kubectl([
    'create',
    'secret',
    ...secret,
    '--namespace',
    namespace,
    '--dry-run=client',
    '--output=yaml',
  ]);
  await cluster.kubectl(['apply', '-f', '-'], manifest);
}

export interface RenderedObject {
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** A component's objects as helm renders them with `values` (by default, this cluster's dev values). */
export async function renderComponent(
  cluster: Kube,
  layout: ClusterLayout,
  component: Component,
  values = valuesArguments(component, layout),
): Promise<RenderedObject[]> {
  const rendered = await cluster.helm([
    'template',
    component.component,
    join(repoRoot, 'helm/charts', component.component),
    '--namespace',
    component.namespace,
    ...values,
  ]);
  return parseAllDocuments(rendered)
    .map((d) => d.toJS() as RenderedObject | null)
    .filter((o): o is RenderedObject => o !== null);
}

/**
 * Where helm keeps a component's release: its namespace, unless the chart creates that namespace itself
 * (the platform chart creates them all), which helm cannot do from inside it: then `default`.
 */
const releaseNamespace = (component: Component, objects: RenderedObject[]): string =>
  objects.some((o) => o.kind === 'Namespace' && o.metadata.name === component.namespace)
    ? 'default'
    : component.namespace;

/**
 * No storage provisioner builds here: each claim of a component's StatefulSets gets a hostPath
 * PersistentVolume under the cluster's state folder, bound to it by name and owned by the pod's fsGroup
 * (hostPath volumes are not chowned by the kubelet).
 */
export async function createVolumes(
  cluster: Kube,
  layout: ClusterLayout,
  component: Component,
  objects: RenderedObject[],
): Promise<void> {
  type StatefulSet = RenderedObject & {
    spec: {
      replicas?: number;
      template: { spec: { securityContext?: { fsGroup?: number; runAsUser?: number } } };
      volumeClaimTemplates?: { metadata: { name: string }; spec: { resources: { requests: { storage: string } } } }[];
    };
  };
  const statefulSets = objects.filter((o): o is StatefulSet => o.kind === 'StatefulSet');
  for (const statefulSet of statefulSets) {
    const namespace = statefulSet.metadata.namespace ?? component.namespace;
    const owner = statefulSet.spec.template.spec.securityContext ?? {};
    for (let ordinal = 0; ordinal < (statefulSet.spec.replicas ?? 1); ordinal += 1) {
      for (const claim of statefulSet.spec.volumeClaimTemplates ?? []) {
        const claimName = `${claim.metadata.name}-${statefulSet.metadata.name}-${ordinal}`;
        const path = join(layout.volumesDir, `${namespace}-${claimName}`);
        mkdirSync(path, { recursive: true, mode: 0o700 });
        execFileSync('chown', [`${owner.runAsUser ?? 0}:${owner.fsGroup ?? 0}`, path]);
        await cluster.kubectl(
          ['apply', '-f', '-'],
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'PersistentVolume',
            metadata: { name: `local-${namespace}-${claimName}`, labels: { 'app.kubernetes.io/part-of': 'platform' } },
            spec: {
              capacity: { storage: claim.spec.resources.requests.storage },
              accessModes: ['ReadWriteOnce'],
              persistentVolumeReclaimPolicy: 'Delete',
              storageClassName: '',
              claimRef: { namespace, name: claimName },
              hostPath: { path, type: 'Directory' },
            },
          }),
        );
      }
    }
  }
}

interface CrdSource {
  name: string;
  module: string;
  folder: string;
  toolchain?: string;
  dropTemplatedLabels?: boolean;
  namespace?: string;
}

const readCrdSources = (): CrdSource[] =>
  parse(readFileSync(join(import.meta.dirname, 'crds.yaml'), 'utf8')) as CrdSource[];

/** The CustomResourceDefinition documents of a module's folder, from the Go module cache (downloaded if needed). */
function crdDocuments(source: CrdSource): string[] {
  const folder = join(goModuleDir(source.module, source.toolchain), source.folder);
  type Crd = { kind?: string; metadata: { labels?: Record<string, string> } };
  return readdirSync(folder)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(folder, file), 'utf8'))
        .map((d) => d.toJS() as Crd | null)
        .filter((crd) => crd?.kind === 'CustomResourceDefinition')
        .map((crd) => {
          const labels = Object.entries(crd?.metadata.labels ?? {}).filter(
            ([, value]) => !(source.dropTemplatedLabels === true && value.includes('{{')),
          );
          return stringify({ ...crd, metadata: { ...crd?.metadata, labels: Object.fromEntries(labels) } });
        }),
    );
}
