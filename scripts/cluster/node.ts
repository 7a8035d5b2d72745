// Bringing up the cluster's processes and its one node, and taking them down again.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderTemplate } from '../lib/template.ts';
import { waitFor } from '../lib/wait.ts';
import { components, containerdBin, gitopsComponents, ipset } from './components.ts';
import { runningDaemons, startDaemon, stopDaemons } from './daemons.ts';
import { foreignClusterTraces, loadSnapshot, prepareHost, restoreHost, saveSnapshot, snapshotHost } from './host.ts';
import { kube, type Kube } from './kube.ts';
import { ensurePki } from './pki.ts';
import { network, ports, type ClusterLayout } from './settings.ts';

const configTemplates = join(import.meta.dirname, 'config');
const controlPlane = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'containerd'];
const nodeAgents = ['kubelet', 'kube-proxy', 'kube-router'];
const hostTools = { ipset };

export type Progress = (message: string) => void;

/** The sandbox (pause) image: containerd must find it locally, nothing can be pulled. */
export interface NodeImages {
  sandbox: string;
  /** Imports every image archive into the node's containerd (called once containerd runs). */
  importAll: (containerdSocket: string) => void;
}

/** Why a new cluster cannot start here (one runs, or a previous one was not taken down) and what to do, or undefined. */
export function leftovers(layout: ClusterLayout): string | undefined {
  const running = [...runningDaemons(layout).keys()];
  if (running.length > 0)
    return `cluster processes are running (${running.join(', ')}): see npm run cluster -- --status, or take them down with --down`;
  if (existsSync(layout.hostSnapshot))
    return `a previous cluster was not taken down (${layout.hostSnapshot} exists): take it down with npm run cluster -- --down`;
  const traces = foreignClusterTraces(layout.root);
  if (traces.length > 0)
    return `the host holds another cluster's changes (${traces.join(', ')}): take it down with npm run cluster -- --down in the checkout that started it`;
  return undefined;
}

/** Snapshot of the host, host changes, certificates, configuration, then every process and the node Ready. */
export async function startNode(layout: ClusterLayout, images: NodeImages, progress: Progress): Promise<Kube> {
  // A fresh cluster every time: only certificates and the image store are kept between runs.
  for (const path of [
    layout.descriptionFile,
    layout.etcdData,
    layout.prod.etcdData,
    layout.registryDir,
    layout.kubelet.root,
    layout.kubelet.podLogs,
    layout.cni.confDir,
    layout.cni.ipamDir,
    layout.volumesDir,
  ]) {
    rmSync(path, { recursive: true, force: true });
  }
  mkdirSync(layout.configDir, { recursive: true });
  saveSnapshot(layout.hostSnapshot, snapshotHost(hostTools));
  progress(`host: node address ${network.nodeAddress} on lo, IP forwarding on (snapshot in ${layout.hostSnapshot})`);
  prepareHost();

  await ensurePki(layout);
  writeConfig(layout, images.sandbox);
  const all = components(layout);
  const start = async (name: string) => {
    const component = all.find((c) => c.name === name);
    if (component === undefined) throw new Error(`no component ${name}`);
    const started = Date.now();
    const pid = await startDaemon(component, layout);
    progress(`${name} ready (pid ${pid}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  };
  for (const name of controlPlane) await start(name);

  progress('importing images into containerd');
  images.importAll(layout.containerd.socket);

  const cluster = kube(layout.kubeconfig);
  await start('kubelet');
  // The pod network of the node is the range the controller manager gives it: the bridge plugin uses exactly that.
  const podCIDR = await waitFor(
    'the node did not get a pod range',
    async () => {
      const node = await cluster
        .getJson<{ spec: { podCIDR?: string } }>(['node', network.nodeName])
        .catch(() => undefined);
      return node?.spec.podCIDR;
    },
    { timeoutMs: 60_000 },
  );
  mkdirSync(layout.cni.confDir, { recursive: true });
  writeFileSync(
    join(layout.cni.confDir, '10-platform.conflist'),
    renderTemplate(join(configTemplates, 'cni.conflist'), {
      bridge: network.bridge,
      ipamDir: layout.cni.ipamDir,
      nodePodCIDR: podCIDR,
    }),
  );
  progress(`node ${network.nodeName}: pods in ${podCIDR} on bridge ${network.bridge}`);
  for (const name of nodeAgents.slice(1)) await start(name);
  await cluster.kubectl(['wait', '--for=condition=Ready', `node/${network.nodeName}`, '--timeout=120s']);
  progress(`node ${network.nodeName} Ready`);
  return cluster;
}

/** Stops every process (pods first: their runc shims would outlive containerd) and restores the host. */
export async function stopNode(layout: ClusterLayout, progress: Progress): Promise<string[]> {
  await stopDaemons(
    gitopsComponents(layout)
      .map((c) => c.name)
      .reverse(),
    layout,
    progress,
  );
  await stopDaemons([...nodeAgents].reverse(), layout, progress);
  removeContainers(layout, progress);
  await stopDaemons([...controlPlane].reverse(), layout, progress);
  if (!existsSync(layout.hostSnapshot)) return [];
  progress('restoring the host');
  const left = restoreHost(loadSnapshot(layout.hostSnapshot), layout.root, hostTools, progress);
  if (left.length === 0) rmSync(layout.hostSnapshot);
  return left;
}

function writeConfig(layout: ClusterLayout, sandboxImage: string): void {
  const { pki } = layout;
  const files: Record<string, Record<string, string | number>> = {
    'containerd.toml': {
      containerdRoot: layout.containerd.root,
      containerdState: layout.containerd.state,
      containerdSocket: layout.containerd.socket,
      sandboxImage,
      streamingPort: ports.containerdStreaming,
      runc: '/usr/sbin/runc',
      cniConfDir: layout.cni.confDir,
    },
    'kubelet.yaml': {
      nodeAddress: network.nodeAddress,
      kubeletPort: ports.kubelet,
      kubeletHealthzPort: ports.kubeletHealthz,
      caCertificate: pki.ca.certificate,
      containerdSocket: layout.containerd.socket,
      dnsServiceAddress: network.dnsServiceAddress,
      clusterDomain: network.clusterDomain,
      podLogsDir: layout.kubelet.podLogs,
    },
  };
  for (const [name, values] of Object.entries(files))
    writeFileSync(join(layout.configDir, name), renderTemplate(join(configTemplates, name), values));
  writeFileSync(
    layout.kubeconfig,
    renderTemplate(join(configTemplates, 'kubeconfig.yaml'), {
      nodeAddress: network.nodeAddress,
      apiServerPort: ports.apiServer,
      caCertificate: pki.ca.certificate,
      adminCertificate: pki.admin.certificate,
      adminKey: pki.admin.privateKey,
    }),
    { mode: 0o600 },
  );
}

/** Kills and deletes every container containerd runs for Kubernetes (the kubelet is already stopped). */
function removeContainers(layout: ClusterLayout, progress: Progress): void {
  if (!existsSync(layout.containerd.socket)) return;
  const ctr = (args: string[]) =>
    execFileSync(
      join(containerdBin, 'ctr'),
      ['--address', layout.containerd.socket, '--namespace', 'k8s.io', ...args],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 },
    );
  let containers: string[];
  try {
    containers = ctr(['containers', 'list', '--quiet']).split('\n').filter(Boolean);
  } catch {
    return;
  }
  if (containers.length === 0) return;
  progress(`removing ${containers.length} containers`);
  for (const id of containers) {
    for (const args of [
      ['tasks', 'delete', '--force', id],
      ['containers', 'delete', id],
    ]) {
      try {
        ctr(args);
      } catch {
        // not running, or already gone
      }
    }
  }
}
