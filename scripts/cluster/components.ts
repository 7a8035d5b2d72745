// The processes of the local cluster, declared once, in start order: the control plane (etcd, API server,
// controller manager, scheduler) and one real node (containerd, kubelet, kube-proxy, kube-router for
// NetworkPolicy). Flags follow ../shared/CLUSTER.md; every listener is on loopback or the node address.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { KeyPairFiles } from '../lib/x509.ts';
import type { Component } from './daemons.ts';
import { binary, gitops, network, ports, tools, type ClusterLayout } from './settings.ts';

export const containerdBin = join(tools.debs, 'containerd/usr/bin');
export const ipset = {
  command: join(tools.debs, 'ipset/usr/sbin/ipset'),
  libraryPath: join(tools.debs, 'ipset/usr/lib/x86_64-linux-gnu'),
};
const systemPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What differs between the cluster's control plane and production's stand-in (gitops mode). */
interface ControlPlane {
  /** Prefix of the component names ('' or 'prod-'). */
  prefix: string;
  ports: { etcdClient: number; etcdPeer: number; apiServer: number; controllerManager: number; scheduler: number };
  etcdData: string;
  kubeconfig: string;
  apiServerCert: KeyPairFiles;
  serviceAccount: { privateKey: string; publicKey: string };
  serviceCIDR: string;
  /** The controller manager gives nodes pod ranges (a real node's bridge uses its range). */
  podCIDR?: string;
}

/** etcd, the API server, the controller manager and the scheduler of one control plane. */
function controlPlane(plane: ControlPlane, layout: ClusterLayout): Component[] {
  const { pki } = layout;
  const { ports, kubeconfig } = plane;
  const local = 'https://127.0.0.1';
  const apiServer = `https://${network.nodeAddress}:${ports.apiServer}`;
  const clientTls = { ca: pki.ca.certificate, cert: pki.admin.certificate, key: pki.admin.privateKey };
  // The controller manager and the scheduler reach the API server, and check their own callers, with it.
  const controllerClientFlags = [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
  ];
  return [
    {
      name: `${plane.prefix}etcd`,
      listens: `127.0.0.1:${ports.etcdClient}`,
      command: binary('etcd'),
      args: [
        '--name=node1',
        `--data-dir=${plane.etcdData}`,
        `--listen-client-urls=http://127.0.0.1:${ports.etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${ports.etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
        `--initial-cluster=node1=http://127.0.0.1:${ports.etcdPeer}`,
        '--listen-metrics-urls=',
        '--quota-backend-bytes=2147483648',
        // A throw-away development store: durability is not worth the fsync latency on these disks.
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      ready: () => httpOk(`http://127.0.0.1:${ports.etcdClient}/readyz`),
    },
    {
      name: `${plane.prefix}kube-apiserver`,
      listens: `${network.nodeAddress}:${ports.apiServer}`,
      command: binary('kube-apiserver'),
      args: [
        `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
        // The node address, not loopback: the `kubernetes` Service's endpoint must be reachable from pods.
        `--bind-address=${network.nodeAddress}`,
        `--advertise-address=${network.nodeAddress}`,
        `--secure-port=${ports.apiServer}`,
        `--tls-cert-file=${plane.apiServerCert.certificate}`,
        `--tls-private-key-file=${plane.apiServerCert.privateKey}`,
        `--client-ca-file=${pki.ca.certificate}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${plane.serviceAccount.publicKey}`,
        `--service-account-signing-key-file=${plane.serviceAccount.privateKey}`,
        `--service-cluster-ip-range=${plane.serviceCIDR}`,
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultStorageClass,ResourceQuota,PodSecurity,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy',
        '--allow-privileged=true',
        '--profiling=false',
        '--kubelet-preferred-address-types=InternalIP,Hostname',
        `--kubelet-client-certificate=${pki.admin.certificate}`,
        `--kubelet-client-key=${pki.admin.privateKey}`,
        '--v=1',
      ],
      ready: () => httpsOk(`${apiServer}/readyz`, clientTls),
      stopGraceMs: 15_000,
    },
    {
      name: `${plane.prefix}kube-controller-manager`,
      listens: `127.0.0.1:${ports.controllerManager}`,
      command: binary('kube-controller-manager'),
      args: [
        ...controllerClientFlags,
        '--bind-address=127.0.0.1',
        `--secure-port=${ports.controllerManager}`,
        `--service-account-private-key-file=${plane.serviceAccount.privateKey}`,
        `--root-ca-file=${pki.ca.certificate}`,
        `--cluster-signing-cert-file=${pki.ca.certificate}`,
        `--cluster-signing-key-file=${pki.ca.privateKey}`,
        '--use-service-account-credentials=true',
        '--leader-elect=false',
        ...(plane.podCIDR === undefined
          ? []
          : ['--allocate-node-cidrs=true', `--cluster-cidr=${plane.podCIDR}`, '--node-cidr-mask-size=24']),
        `--service-cluster-ip-range=${plane.serviceCIDR}`,
        '--controllers=*,-cloud-node-lifecycle',
        '--v=1',
      ],
      ready: () => httpsOk(`${local}:${ports.controllerManager}/healthz`),
    },
    {
      name: `${plane.prefix}kube-scheduler`,
      listens: `127.0.0.1:${ports.scheduler}`,
      command: binary('kube-scheduler'),
      args: [
        ...controllerClientFlags,
        '--bind-address=127.0.0.1',
        `--secure-port=${ports.scheduler}`,
        '--leader-elect=false',
        // A pod the scheduler tried before its claim reached the scheduler's cache ("unbound immediate
        // PersistentVolumeClaims. not found") was not retried on the claim's arrival, only after this
        // duration: 5 minutes by default, helm's whole timeout. Seen once for minio-0 on this machine.
        '--pod-max-in-unschedulable-pods-duration=30s',
        '--v=1',
      ],
      ready: () => httpsOk(`${local}:${ports.scheduler}/healthz`),
    },
  ];
}

export function components(layout: ClusterLayout): Component[] {
  const { pki, kubeconfig } = layout;
  return [
    ...controlPlane(
      {
        prefix: '',
        ports,
        etcdData: layout.etcdData,
        kubeconfig,
        apiServerCert: pki.apiServer,
        serviceAccount: pki.serviceAccount,
        serviceCIDR: network.serviceCIDR,
        podCIDR: network.podCIDR,
      },
      layout,
    ),
    {
      name: 'containerd',
      listens: `${layout.containerd.socket}, 127.0.0.1:${ports.containerdStreaming}`,
      command: join(containerdBin, 'containerd'),
      args: [`--config=${join(layout.configDir, 'containerd.toml')}`],
      // The runc shim is found on PATH.
      env: { PATH: `${containerdBin}:${systemPath}` },
      ready: () => {
        execFileSync(join(containerdBin, 'ctr'), ['--address', layout.containerd.socket, 'version'], {
          stdio: 'ignore',
          timeout: 5_000,
        });
        return Promise.resolve(true);
      },
      stopGraceMs: 15_000,
    },
    {
      name: 'kubelet',
      listens: `${network.nodeAddress}:${ports.kubelet}, 127.0.0.1:${ports.kubeletHealthz}`,
      command: binary('kubelet'),
      args: [
        `--config=${join(layout.configDir, 'kubelet.yaml')}`,
        `--kubeconfig=${kubeconfig}`,
        `--root-dir=${layout.kubelet.root}`,
        `--hostname-override=${network.nodeName}`,
        `--node-ip=${network.nodeAddress}`,
        '--v=1',
      ],
      env: { PATH: `${containerdBin}:${systemPath}` },
      ready: () => httpOk(`http://127.0.0.1:${ports.kubeletHealthz}/healthz`),
      stopGraceMs: 20_000,
    },
    {
      name: 'kube-proxy',
      listens: `127.0.0.1:${ports.kubeProxyHealthz}`,
      command: binary('kube-proxy'),
      args: [
        `--kubeconfig=${kubeconfig}`,
        `--hostname-override=${network.nodeName}`,
        '--proxy-mode=iptables',
        `--cluster-cidr=${network.podCIDR}`,
        `--metrics-bind-address=127.0.0.1:${ports.kubeProxyMetrics}`,
        `--healthz-bind-address=127.0.0.1:${ports.kubeProxyHealthz}`,
        '--conntrack-max-per-core=0',
        // NodePorts (the edge) answer on the node address only.
        `--nodeport-addresses=${network.nodeAddress}/32`,
        '--v=1',
      ],
      ready: () => httpOk(`http://127.0.0.1:${ports.kubeProxyHealthz}/healthz`),
    },
    {
      name: 'kube-router',
      listens: 'nothing (NetworkPolicy in the firewall)',
      command: binary('kube-router'),
      args: [
        `--kubeconfig=${kubeconfig}`,
        `--hostname-override=${network.nodeName}`,
        // NetworkPolicy enforcement only: routing is the bridge's, Services are kube-proxy's.
        '--run-firewall=true',
        '--run-router=false',
        '--run-service-proxy=false',
        '--run-loadbalancer=false',
        '--enable-cni=false',
        `--service-cluster-ip-range=${network.serviceCIDR}`,
        // Its health and metrics servers would listen on every interface: off.
        '--health-port=0',
        '--metrics-port=0',
        '--v=1',
      ],
      env: { PATH: `${join(tools.debs, 'ipset/usr/sbin')}:${systemPath}`, LD_LIBRARY_PATH: ipset.libraryPath },
      // Ready once its policy chains are in the filter table.
      ready: () => {
        execFileSync('iptables', ['-w', '-S', 'KUBE-ROUTER-FORWARD'], { stdio: 'ignore' });
        return Promise.resolve(true);
      },
    },
  ];
}

/**
 * GitOps mode's processes: production's stand-in (a second control plane whose only node is kwok's, so
 * objects are scheduled and report running, but no container starts), the git daemon Argo CD reads the
 * project from, and the registry releases are pushed to.
 */
export function gitopsComponents(layout: ClusterLayout): Component[] {
  const { pki, prod, git } = layout;
  const prodPorts = gitops.prodPorts;
  const registry = join(tools.debs, 'docker-registry/usr/bin/docker-registry');
  return [
    ...controlPlane(
      {
        prefix: 'prod-',
        ports: prodPorts,
        etcdData: prod.etcdData,
        kubeconfig: prod.kubeconfig,
        apiServerCert: pki.prodApiServer,
        serviceAccount: pki.prodServiceAccount,
        serviceCIDR: network.serviceCIDR,
      },
      layout,
    ),
    {
      name: 'prod-kwok',
      listens: `127.0.0.1:${prodPorts.kwok}`,
      command: binary('kwok'),
      args: [
        `--kubeconfig=${prod.kubeconfig}`,
        `--config=${prod.kwokStages}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        `--server-address=127.0.0.1:${prodPorts.kwok}`,
        // Renew a node Lease, as a kubelet does: with status updates alone the node controller calls it NotReady.
        '--node-lease-duration-seconds=40',
      ],
      ready: () => httpOk(`http://127.0.0.1:${prodPorts.kwok}/healthz`),
    },
    {
      name: 'git-daemon',
      listens: `${network.nodeAddress}:${gitops.gitPort}`,
      command: '/usr/bin/git',
      args: [
        'daemon',
        `--listen=${network.nodeAddress}`,
        `--port=${gitops.gitPort}`,
        `--base-path=${git.root}`,
        '--export-all',
        '--reuseaddr',
        '--informative-errors',
      ],
      ready: () => {
        execFileSync('git', ['ls-remote', `git://${network.nodeAddress}:${gitops.gitPort}/platform.git`], {
          stdio: 'ignore',
          timeout: 5_000,
        });
        return Promise.resolve(true);
      },
    },
    {
      name: 'registry',
      listens: `${network.nodeAddress}:${gitops.registryPort}`,
      command: registry,
      args: ['serve', join(layout.configDir, 'registry.yml')],
      ready: () => httpOk(`http://${network.nodeAddress}:${gitops.registryPort}/v2/`),
    },
  ];
}

async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return response.ok;
}

/** GET over TLS with the cluster's CA and client certificate, or (components' self-signed health endpoints) no verification. */
function httpsOk(url: string, tls?: { ca: string; cert: string; key: string }): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const options =
      tls === undefined
        ? { rejectUnauthorized: false }
        : { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key) };
    const req = request(url, { ...options, timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    req.on('timeout', () => {
      req.destroy(new Error('timeout'));
    });
    req.on('error', reject);
    req.end();
  });
}
