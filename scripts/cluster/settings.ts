// Every address, port, range and path of the local cluster, in one place.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

/** The repository root (this file is scripts/cluster/settings.ts). */
export const repoRoot = resolve(import.meta.dirname, '../..');

const toolsDir = process.env['PLATFORM_TOOLS_DIR'] ?? join(homedir(), '.cache/platform-tools');

/** The pod network is the one the platform chart's NetworkPolicies treat as "inside" (apiServer.podCIDR). */
const platformValues = parse(readFileSync(join(repoRoot, 'helm/charts/platform/values.yaml'), 'utf8')) as {
  apiServer: { podCIDR: string; port: number };
};

export const network = {
  /**
   * The node's address: on `lo` as a /32 (this kernel has no dummy interface driver). The API server
   * and kubelet listen here and on loopback only; pods reach the host through the bridge.
   */
  nodeAddress: '10.200.0.1',
  nodeName: 'node1',
  bridge: 'k8sbr0',
  podCIDR: platformValues.apiServer.podCIDR,
  serviceCIDR: '10.96.0.0/16',
  kubernetesServiceAddress: '10.96.0.1',
  dnsServiceAddress: '10.96.0.10',
  clusterDomain: 'cluster.local',
} as const;

export const ports = {
  etcdClient: 2379,
  etcdPeer: 2380,
  apiServer: platformValues.apiServer.port,
  controllerManager: 10257,
  scheduler: 10259,
  kubelet: 10250,
  kubeletHealthz: 10248,
  kubeProxyMetrics: 10249,
  kubeProxyHealthz: 10256,
  containerdStreaming: 10010,
} as const;

/**
 * GitOps mode (npm run cluster -- --gitops): a second control plane stands in for production (its one node is
 * kwok's: objects are scheduled and "run", no container starts), Argo CD reads the project from a git daemon,
 * and a registry holds released images. All on the node address or loopback.
 */
export const gitops = {
  prodPorts: {
    etcdClient: 12379,
    etcdPeer: 12380,
    apiServer: 16443,
    controllerManager: 20257,
    scheduler: 20259,
    kwok: 10247,
  },
  prodNodeName: 'prod-node-0',
  gitPort: 9418,
  registryPort: 5000,
  /** Where the image references of helm/env/prod point (scripts/promote checks a release exists there). */
  releaseRegistry: 'registry.example.com',
} as const;

/** The edge's public address: the Gateway's host name, on the node address and the edge Service's nodePort. */
export const edge = { host: 'platform.localtest.me', httpsPort: 30443 } as const;

export const tools = {
  bin: join(toolsDir, 'bin'),
  /** Debian packages unpacked by scripts/tools/install.sh (containerd, ipset). */
  debs: join(toolsDir, 'debs'),
  images: join(toolsDir, 'images'),
} as const;

export const binary = (name: string): string => join(tools.bin, name);

/** The cluster's state folder (git-ignored): certificates, data, logs, and what the host looked like before. */
export function clusterLayout(stateDir = resolve(repoRoot, '.dev/cluster')) {
  const pki = join(stateDir, 'pki');
  return {
    root: stateDir,
    lockFile: join(stateDir, 'cluster.lock'),
    hostSnapshot: join(stateDir, 'host-before.json'),
    descriptionFile: join(stateDir, 'cluster.json'),
    logsDir: join(stateDir, 'logs'),
    pidsDir: join(stateDir, 'pids'),
    configDir: join(stateDir, 'config'),
    kubeconfig: join(stateDir, 'kubeconfig'),
    pki: {
      dir: pki,
      ca: { certificate: join(pki, 'ca.crt'), privateKey: join(pki, 'ca.key') },
      apiServer: { certificate: join(pki, 'apiserver.crt'), privateKey: join(pki, 'apiserver.key') },
      admin: { certificate: join(pki, 'admin.crt'), privateKey: join(pki, 'admin.key') },
      serviceAccount: { privateKey: join(pki, 'sa.key'), publicKey: join(pki, 'sa.pub') },
      edgeCa: { certificate: join(pki, 'edge-ca.crt'), privateKey: join(pki, 'edge-ca.key') },
      prodApiServer: { certificate: join(pki, 'prod-apiserver.crt'), privateKey: join(pki, 'prod-apiserver.key') },
      prodServiceAccount: { privateKey: join(pki, 'prod-sa.key'), publicKey: join(pki, 'prod-sa.pub') },
      edge: { certificate: join(pki, 'edge.crt'), privateKey: join(pki, 'edge.key') },
    },
    etcdData: join(stateDir, 'etcd'),
    prod: {
      etcdData: join(stateDir, 'prod/etcd'),
      kubeconfig: join(stateDir, 'prod/kubeconfig'),
      kwokStages: join(stateDir, 'prod/kwok-stages.yaml'),
    },
    git: { root: join(stateDir, 'git'), workTree: join(stateDir, 'git-work') },
    registryDir: join(stateDir, 'registry'),
    registriesConf: join(stateDir, 'config/registries.conf'),
    containerd: {
      root: join(stateDir, 'containerd/root'),
      state: join(stateDir, 'containerd/state'),
      socket: join(stateDir, 'containerd/state/containerd.sock'),
    },
    cni: { confDir: join(stateDir, 'cni/net.d'), ipamDir: join(stateDir, 'cni/ipam') },
    kubelet: { root: join(stateDir, 'kubelet'), podLogs: join(stateDir, 'pod-logs') },
    volumesDir: join(stateDir, 'volumes'),
  };
}

export type ClusterLayout = ReturnType<typeof clusterLayout>;
