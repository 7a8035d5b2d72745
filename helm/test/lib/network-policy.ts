// A small NetworkPolicy evaluator (networking.k8s.io/v1 semantics) over rendered objects: which workload
// may open a connection to which port of which other workload. Pods live in the pod CIDR; "world" stands
// for everything outside the pod network (clients, the API server, the internet).
import { must, type K8sObject } from './repo.ts';

export type Workload = {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ports: { port: number; name?: string; protocol: string }[];
  world?: boolean;
};

type LabelSelector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
};
type Peer = {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
};
type PolicyPort = { port?: number | string; protocol?: string; endPort?: number };
type Rule = { from?: Peer[]; to?: Peer[]; ports?: PolicyPort[] };
type Policy = {
  namespace: string;
  name: string;
  podSelector: LabelSelector;
  policyTypes: string[];
  ingress?: Rule[];
  egress?: Rule[];
};

export function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = key in labels;
    const ok =
      operator === 'In'
        ? has && values.includes(must(labels[key]))
        : operator === 'NotIn'
          ? !has || !values.includes(must(labels[key]))
          : operator === 'Exists'
            ? has
            : operator === 'DoesNotExist'
              ? !has
              : undefined;
    if (ok === undefined) throw new Error(`unsupported selector operator ${operator}`);
    if (!ok) return false;
  }
  return true;
}

const namespaceLabels = (namespace: string): Record<string, string> => ({ 'kubernetes.io/metadata.name': namespace });

export class NetworkModel {
  readonly policies: Policy[];
  private readonly podCIDR: string;
  constructor(objects: K8sObject[], podCIDR: string) {
    this.podCIDR = podCIDR;
    this.policies = objects
      .filter((o) => o.kind === 'NetworkPolicy')
      .map((o) => {
        const spec = o['spec'] as Omit<Policy, 'namespace' | 'name' | 'policyTypes'> & { policyTypes?: string[] };
        const policyTypes = spec.policyTypes ?? (spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
        return { ...spec, policyTypes, namespace: must(o.metadata.namespace), name: o.metadata.name };
      });
  }

  private peerMatches(peer: Peer, policyNamespace: string, other: Workload): boolean {
    if (peer.ipBlock) {
      if (peer.ipBlock.cidr !== '0.0.0.0/0')
        throw new Error(
          `ipBlock ${peer.ipBlock.cidr}: only 0.0.0.0/0 (with or without the pod CIDR excepted) is modelled`,
        );
      if (other.world) return true;
      return !(peer.ipBlock.except ?? []).includes(this.podCIDR);
    }
    if (other.world) return false;
    if (peer.namespaceSelector) {
      if (!selects(peer.namespaceSelector, namespaceLabels(other.namespace))) return false;
    } else if (other.namespace !== policyNamespace) return false;
    return peer.podSelector ? selects(peer.podSelector, other.labels) : true;
  }

  private portMatches(ports: PolicyPort[] | undefined, target: Workload['ports'][number]): boolean {
    if (!ports || ports.length === 0) return true;
    return ports.some((p) => {
      if ((p.protocol ?? 'TCP') !== target.protocol) return false;
      if (p.port === undefined) return true;
      if (typeof p.port === 'string') return p.port === target.name;
      return p.endPort ? target.port >= p.port && target.port <= p.endPort : p.port === target.port;
    });
  }

  /** Whether the rules of one direction on `self` let traffic to or from `peer` on `port` through. */
  private allows(
    direction: 'Ingress' | 'Egress',
    self: Workload,
    peer: Workload,
    port: Workload['ports'][number],
  ): boolean {
    if (self.world) return true; // outside the cluster: no NetworkPolicy applies
    const applicable = this.policies.filter(
      (p) => p.namespace === self.namespace && p.policyTypes.includes(direction) && selects(p.podSelector, self.labels),
    );
    if (applicable.length === 0) return true;
    return applicable.some(
      (policy) =>
        (direction === 'Ingress' ? policy.ingress : policy.egress)?.some((rule) => {
          const peers = direction === 'Ingress' ? rule.from : rule.to;
          return (
            (peers === undefined ||
              peers.length === 0 ||
              peers.some((p) => this.peerMatches(p, policy.namespace, peer))) &&
            this.portMatches(rule.ports, port)
          );
        }) ?? false,
    );
  }

  canConnect(source: Workload, target: Workload, port: Workload['ports'][number]): boolean {
    return this.allows('Egress', source, target, port) && this.allows('Ingress', target, source, port);
  }

  /** Every allowed connection between distinct workloads, as "source -> target:port/protocol". */
  matrix(workloads: Workload[]): string[] {
    const edges: string[] = [];
    for (const source of workloads) {
      for (const target of workloads) {
        if (source === target) continue;
        for (const port of target.ports) {
          if (this.canConnect(source, target, port))
            edges.push(`${source.name} -> ${target.name}:${port.port}/${port.protocol}`);
        }
      }
    }
    return edges.sort();
  }
}
