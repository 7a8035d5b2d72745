// What a running cluster is, for people (the status table) and for tests (cluster.json).
import { readFileSync } from 'node:fs';
import type { Component } from '../../helm/test/lib/repo.ts';
import { components, gitopsComponents } from './components.ts';
import { runningDaemons } from './daemons.ts';
import type { Kube } from './kube.ts';
import { edge, network, ports, type ClusterLayout } from './settings.ts';
import { gitRepository, releaseRegistry } from './gitops.ts';
import { formatTable } from '../lib/table.ts';

/** The line the supervisor prints once the cluster is ready (the launching terminal stops following it there). */
export const readyMarker = 'cluster ready';

export interface ClusterDescription {
  /** helm: the charts installed by the cluster tool; gitops: by Argo CD, from git. */
  mode: 'helm' | 'gitops';
  kubeconfig: string;
  apiServer: string;
  edge: { url: string; host: string; address: string; port: number; caCertificate: string };
  charts: { name: string; namespace: string }[];
  startSeconds: number;
  gitops?: {
    repository: string;
    revision: string;
    workTree: string;
    prodKubeconfig: string;
    registry: string;
    registriesConf: string;
  };
}

export function describeCluster(
  layout: ClusterLayout,
  charts: Component[],
  startMs: number,
  gitRevision?: string,
): ClusterDescription {
  const gitopsMode = gitRevision !== undefined;
  return {
    mode: gitopsMode ? 'gitops' : 'helm',
    kubeconfig: layout.kubeconfig,
    apiServer: `https://${network.nodeAddress}:${ports.apiServer}`,
    edge: {
      url: `https://${edge.host}:${edge.httpsPort}`,
      host: edge.host,
      address: network.nodeAddress,
      port: edge.httpsPort,
      caCertificate: layout.pki.edgeCa.certificate,
    },
    charts: charts.map((c) => ({ name: c.component, namespace: c.namespace })),
    startSeconds: Math.round(startMs / 1000),
    ...(gitopsMode
      ? {
          gitops: {
            repository: gitRepository,
            revision: gitRevision,
            workTree: layout.git.workTree,
            prodKubeconfig: layout.prod.kubeconfig,
            registry: releaseRegistry,
            registriesConf: layout.registriesConf,
          },
        }
      : {}),
  };
}

export const readDescription = (layout: ClusterLayout): ClusterDescription =>
  JSON.parse(readFileSync(layout.descriptionFile, 'utf8')) as ClusterDescription;

interface PodList {
  items: {
    metadata: { namespace: string; name: string };
    status: { phase: string; conditions?: { type: string; status: string }[] };
  }[];
}

/** A plain-text table: the processes, the pods per namespace, and how to reach the cluster and the edge. */
export async function statusTable(layout: ClusterLayout, cluster: Kube): Promise<string> {
  const description = readDescription(layout);
  const rows: string[][] = [['component', 'where', 'state']];
  const running = runningDaemons(layout);
  for (const component of [...components(layout), ...(description.mode === 'gitops' ? gitopsComponents(layout) : [])]) {
    const pid = running.get(component.name);
    rows.push([component.name, component.listens, pid === undefined ? 'NOT RUNNING' : `running (pid ${pid})`]);
  }
  const pods = await cluster.getJson<PodList>(['pods', '--all-namespaces']);
  const byNamespace = new Map<string, { ready: number; done: number; total: number }>();
  for (const pod of pods.items) {
    const counts = byNamespace.get(pod.metadata.namespace) ?? { ready: 0, done: 0, total: 0 };
    counts.total += 1;
    if (pod.status.phase === 'Succeeded') counts.done += 1;
    else if (pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) counts.ready += 1;
    byNamespace.set(pod.metadata.namespace, counts);
  }
  for (const [namespace, counts] of [...byNamespace].sort()) {
    rows.push([
      `pods ${namespace}`,
      '',
      `${counts.ready}/${counts.total - counts.done} ready${counts.done > 0 ? `, ${counts.done} completed` : ''}`,
    ]);
  }
  rows.push(['edge (Gateway API)', description.edge.url, `TLS, CA ${description.edge.caCertificate}`]);
  rows.push(['kubeconfig', description.kubeconfig, `export KUBECONFIG=${description.kubeconfig}`]);
  if (description.gitops !== undefined) {
    rows.push(['git (Argo CD reads)', description.gitops.repository, `work tree ${description.gitops.workTree}`]);
    rows.push(['prod (kwok node)', description.gitops.prodKubeconfig, "KUBECONFIG for production's stand-in"]);
    rows.push([
      'release registry',
      description.gitops.registry,
      `scripts/promote checks releases here (CONTAINERS_REGISTRIES_CONF=${description.gitops.registriesConf})`,
    ]);
  }
  return formatTable(rows);
}
