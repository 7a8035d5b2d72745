// What the cluster suites share: the running cluster (npm run cluster), kubectl/helm against it, commands
// inside pods, HTTPS through the edge, and the figures each suite reports for the stage's summary line.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { readDescription } from '../../../scripts/cluster/description.ts';
import { kube } from '../../../scripts/cluster/kube.ts';
import { clusterLayout } from '../../../scripts/cluster/settings.ts';
import { readYaml, type K8sObject } from '../lib/repo.ts';

export const layout = clusterLayout(process.env['CLUSTER_STATE_DIR']);
export const description = readDescription(layout);
export const cluster = kube(description.kubeconfig);
/** The namespaces the platform chart creates (ingress-ns ... monitoring-ns). */
export const platformNamespaces = readYaml<{ namespaces: { name: string }[] }>(
  'helm/charts/platform/values.yaml',
).namespaces.map((n) => n.name);

export interface Pod {
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string }[];
    deletionTimestamp?: string;
  };
  spec: {
    nodeName?: string;
    dnsPolicy?: string;
    containers: {
      name: string;
      image: string;
      ports?: { containerPort: number; protocol?: string; name?: string }[];
    }[];
  };
  status: {
    phase: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: {
      name: string;
      ready: boolean;
      started?: boolean;
      restartCount: number;
      state: Record<string, unknown>;
    }[];
  };
}

export const isReady = (pod: Pod): boolean =>
  pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

export async function pods(namespace?: string, selector?: string): Promise<Pod[]> {
  const scope = namespace === undefined ? ['--all-namespaces'] : ['--namespace', namespace];
  return (
    await cluster.getJson<{ items: Pod[] }>([
      'pods',
      ...scope,
      ...(selector === undefined ? [] : ['--selector', selector]),
    ])
  ).items;
}

/** Runs a command in a pod's first container; resolves with its output (stdout and stderr). */
export const exec = (pod: Pod, command: string[]): Promise<string> =>
  cluster.kubectl(['exec', '--namespace', pod.metadata.namespace, pod.metadata.name, '--', ...command]);

/** A ready pod of the cluster's monitoring (scripts/cluster/monitoring) by its selector. */
export async function monitoringPod(selector: string): Promise<Pod> {
  const found = (await pods('monitoring-ns', selector)).find(isReady);
  if (found === undefined) throw new Error(`no ready pod ${selector} in monitoring-ns`);
  return found;
}

/** A PromQL query against the in-cluster Prometheus, with its own promtool (its port is closed to the host). */
export async function prometheusQuery(expression: string): Promise<string> {
  return exec(await monitoringPod('app.kubernetes.io/name=prometheus'), [
    'promtool',
    'query',
    'instant',
    'http://127.0.0.1:9090',
    expression,
  ]);
}

/** The value of a query that yields one sample (write `or vector(0)` where none may exist yet). */
export async function prometheusScalar(expression: string): Promise<number> {
  const output = await prometheusQuery(expression);
  const value = / => ([0-9.e+-]+) @/.exec(output)?.[1];
  if (value === undefined) throw new Error(`no value for ${expression} in: ${output}`);
  return Number(value);
}

/** HTTPS to the edge as a client outside the cluster would: the node address, the Gateway's host name, the edge CA. */
export const edgeAgent = new Agent({
  connect: { ca: readFileSync(description.edge.caCertificate), servername: description.edge.host },
  connections: 64,
});

export async function edgeRequest(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
) {
  const response = await request(`https://${description.edge.address}:${description.edge.port}${path}`, {
    method: method as 'GET',
    headers: { host: `${description.edge.host}:${description.edge.port}`, ...options.headers },
    body: options.body,
    dispatcher: edgeAgent,
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: Buffer.from(await response.body.arrayBuffer()),
  };
}

/** Registers a new user through the edge and logs in; resolves with its token. */
export async function newUserToken(prefix: string): Promise<string> {
  const credentials = JSON.stringify({ username: `${prefix}-${Date.now()}`, password: 'correct horse battery staple' });
  const headers = { 'content-type': 'application/json' };
  const registered = await edgeRequest('POST', '/register', { headers, body: credentials });
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${registered.body.toString()}`);
  const login = await edgeRequest('POST', '/login', { headers, body: credentials });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${login.body.toString()}`);
  return (JSON.parse(login.body.toString()) as { token: string }).token;
}

/** A figure for the stage's summary line (helm/test/cluster/summary.ts reads them). */
export function report(name: string, figures: Record<string, unknown>): void {
  const dir = join(layout.root, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(figures));
}

export const resultsDir = join(layout.root, 'results');

/**
 * A server-side dry run that creates `objects` (strict field validation, admission, CRD schemas). JSON, not
 * YAML: the API server's YAML is 1.1, where a rendered `off` would turn into a boolean.
 */
export const dryRun = (objects: K8sObject[]): Promise<string> =>
  cluster.kubectl(
    ['create', '--dry-run=server', '--validate=strict', '--output=name', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  );

/**
 * The object as a new one, under a "-dry-run" name: an update of the running object would also meet what
 * it forbids changing (a Job's template, a StatefulSet's claims). A NodePort Service's fixed ports are
 * left for the server to pick: the running edge holds them.
 */
export function asNew(object: K8sObject): K8sObject {
  const renamed = { ...object, metadata: { ...object.metadata, name: `${object.metadata.name}-dry-run` } };
  if (object.kind !== 'Service') return renamed;
  const spec = object['spec'] as { ports?: { nodePort?: number }[] };
  return { ...renamed, spec: { ...spec, ports: spec.ports?.map(({ nodePort: _, ...port }) => port) } };
}
