// What the cluster changes on the host, and putting it back. A snapshot is taken before anything
// changes; teardown removes what is new since then (firewall tables, chains and rules, ipsets, links,
// network namespaces, mounts, cgroups, files) and writes back the kernel settings, so the host ends as
// it began even when other software added its own rules meanwhile.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { network } from './settings.ts';

/** Kernel settings the node's components change (kubelet's kernel tunables, kube-proxy's conntrack and routing). */
const sysctls = [
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.route_localnet',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
  'net.netfilter.nf_conntrack_max',
  'net.netfilter.nf_conntrack_tcp_timeout_established',
  'net.netfilter.nf_conntrack_tcp_timeout_close_wait',
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
];

/** Where the kubelet writes whatever it is told: its container log links (the cluster's alone). */
const kubeletFolders = ['/var/log/containers', '/var/log/pods'];
/** Folders CNI plugins write to at fixed places (result caches): removed with their content if the cluster created them. */
const cniFolders = ['/var/lib/cni', '/etc/cni/net.d'];
/**
 * Folders the runtime and the kubelet create at fixed places (containerd's shims put their sockets in
 * /run/containerd/s and remove them). They may be shared, with a Docker installation's containerd say: one
 * is removed only if the cluster created it and it is empty again.
 */
const shimSockets = '/run/containerd/s';
const createdFolders = [...kubeletFolders, ...cniFolders, '/run/containerd', shimSockets];

const cgroupRoot = '/sys/fs/cgroup';

export interface NftObject {
  table?: { family: string; name: string };
  chain?: { family: string; table: string; name: string; policy?: string };
  rule?: { family: string; table: string; chain: string; handle: number; expr: unknown };
}

export interface HostSnapshot {
  sysctls: Record<string, string>;
  nftables: NftObject[];
  ipsets: string[];
  links: string[];
  addresses: string[];
  netns: string[];
  mounts: string[];
  cgroups: Record<string, string[]>;
  files: string[];
  folders: string[];
}

export interface HostTools {
  /** ipset and its library, unpacked from Debian (scripts/tools/install.sh). */
  ipset: { command: string; libraryPath: string };
}

/** The parts of the host the cluster touches, as they are now. */
export function snapshotHost(tools: HostTools): HostSnapshot {
  return {
    sysctls: Object.fromEntries(
      sysctls.flatMap((key) => {
        const value = readSysctl(key);
        return value === undefined ? [] : [[key, value]];
      }),
    ),
    nftables: (JSON.parse(run('nft', ['-j', 'list', 'ruleset'])) as { nftables: NftObject[] }).nftables.filter(
      (o) => o.table ?? o.chain ?? o.rule,
    ),
    ipsets: listIpsets(tools),
    links: listLinks().sort(),
    addresses: listAddresses().sort(),
    netns: existsSync('/run/netns') ? readdirSync('/run/netns').sort() : [],
    mounts: listMounts().sort(),
    cgroups: Object.fromEntries(
      readdirSync(cgroupRoot)
        .filter((h) => isDirectory(join(cgroupRoot, h)))
        .map((h) => [h, subdirectories(join(cgroupRoot, h))]),
    ),
    files: kubeletFolders
      .flatMap((folder) => (existsSync(folder) ? readdirSync(folder).map((name) => join(folder, name)) : []))
      .sort(),
    folders: createdFolders.filter((folder) => existsSync(folder)),
  };
}

export function saveSnapshot(path: string, snapshot: HostSnapshot): void {
  writeFileSync(path, JSON.stringify(snapshot, null, 1));
}

/** A saved snapshot; one written by an older version lacks the newer fields, read as empty. */
export const loadSnapshot = (path: string): HostSnapshot =>
  ({ folders: [], ...(JSON.parse(readFileSync(path, 'utf8')) as Partial<HostSnapshot>) }) as HostSnapshot;

/** The node address on lo (there is no dummy interface driver here) and forwarding for the pod bridge. */
export function prepareHost(): void {
  const address = `${network.nodeAddress}/32`;
  if (!listAddresses().includes(`lo ${address}`)) run('ip', ['addr', 'add', address, 'dev', 'lo']);
  writeSysctl('net.ipv4.ip_forward', '1');
  // NetworkPolicies on bridged pod traffic need the bridge to pass through iptables.
  if (readSysctl('net.bridge.bridge-nf-call-iptables') === undefined) run('modprobe', ['br_netfilter']);
  writeSysctl('net.bridge.bridge-nf-call-iptables', '1');
}

/**
 * The part of a snapshot the cluster can have changed: its state folder's mounts and the runtime's network
 * namespaces, its bridge and the pods' veths, the node address, firewall objects of Kubernetes and CNI (and
 * tables they created), the kubelet's cgroups, the runtime's and kubelet's files. What other software does
 * to the host meanwhile (podman, Docker) is neither touched nor reported.
 */
function clusterView(snapshot: HostSnapshot, stateRoot: string, before: HostSnapshot): HostSnapshot {
  return {
    sysctls: snapshot.sysctls,
    nftables: clusterFirewall(snapshot.nftables, before.nftables),
    ipsets: snapshot.ipsets,
    links: snapshot.links.filter((link) => link === network.bridge || link.startsWith('veth')),
    addresses: snapshot.addresses.filter((address) => address === `lo ${network.nodeAddress}/32`),
    netns: snapshot.netns.filter((name) => name.startsWith('cni-')),
    mounts: snapshot.mounts.filter((mount) => mount.startsWith(`${stateRoot}/`) || mount.startsWith('/run/netns/')),
    cgroups: Object.fromEntries(
      Object.entries(snapshot.cgroups).map(([h, dirs]) => [h, dirs.filter((d) => d.startsWith('kubepods'))]),
    ),
    files: snapshot.files,
    folders: snapshot.folders,
  };
}

/**
 * Of a ruleset, what Kubernetes and CNI own: their chains (KUBE-*, CNI-*), rules in or jumping to them, and
 * everything in tables that are not in `before`.
 */
function clusterFirewall(objects: NftObject[], before: NftObject[]): NftObject[] {
  const known = new Set(before.map(nftIdentity));
  const newTables = new Set(
    objects.flatMap((o) => (o.table && !known.has(nftIdentity(o)) ? [`${o.table.family} ${o.table.name}`] : [])),
  );
  const owned = (name: string) => /^(KUBE-|CNI-)/.test(name);
  return objects.filter((object) => {
    if (object.table) return newTables.has(`${object.table.family} ${object.table.name}`);
    if (object.chain) return newTables.has(`${object.chain.family} ${object.chain.table}`) || owned(object.chain.name);
    if (object.rule)
      return (
        newTables.has(`${object.rule.family} ${object.rule.table}`) ||
        owned(object.rule.chain) ||
        /"(KUBE-|CNI-)[^"]*"/.test(JSON.stringify(object.rule.expr))
      );
    return false;
  });
}

/**
 * Puts back what the cluster changed since `before`, leaving everything else alone. Processes must be
 * stopped first. Returns what could not be restored (empty when the host is as it was).
 */
export function restoreHost(
  before: HostSnapshot,
  stateRoot: string,
  tools: HostTools,
  onProgress: (message: string) => void,
): string[] {
  const was = clusterView(before, stateRoot, before);
  const now = () => clusterView(snapshotHost(tools), stateRoot, before);

  const newMounts = now().mounts.filter((m) => !was.mounts.includes(m));
  if (newMounts.length > 0) onProgress(`unmounting ${newMounts.length} mounts`);
  // Deepest first; lazily, so a busy mount (a process still leaving) does not stop the rest.
  for (const mount of newMounts.sort((a, b) => b.length - a.length)) tryRun('umount', ['-l', mount]);

  for (const name of now().netns.filter((n) => !was.netns.includes(n))) tryRun('ip', ['netns', 'delete', name]);

  const firewall = firewallCleanup(before.nftables, snapshotHost(tools).nftables);
  for (const command of firewall) tryRun('nft', command);
  const removed = firewall.filter((command) => command[0] === 'delete').length;
  if (removed > 0) onProgress(`removed ${removed} firewall tables, chains and rules`);
  for (const set of listIpsets(tools).filter((s) => !was.ipsets.includes(s)))
    tryRun(tools.ipset.command, ['destroy', set], ipsetEnv(tools));

  for (const link of now().links.filter((l) => !was.links.includes(l))) tryRun('ip', ['link', 'delete', link]);
  for (const address of now().addresses.filter((a) => !was.addresses.includes(a))) {
    const [device, cidr] = address.split(' ');
    if (device !== undefined && cidr !== undefined) tryRun('ip', ['addr', 'del', cidr, 'dev', device]);
  }

  for (const [key, value] of Object.entries(was.sysctls)) if (readSysctl(key) !== value) writeSysctl(key, value);

  for (const [hierarchy, dirs] of Object.entries(now().cgroups)) {
    const added = dirs.filter((d) => !(was.cgroups[hierarchy] ?? []).includes(d));
    for (const dir of added.sort((a, b) => b.length - a.length)) {
      try {
        rmdirSync(join(cgroupRoot, hierarchy, dir));
      } catch {
        // reported below if it is still there
      }
    }
  }

  for (const file of now().files.filter((f) => !was.files.includes(f))) rmSync(file, { recursive: true, force: true });
  for (const folder of now()
    .folders.filter((f) => !was.folders.includes(f))
    .sort((a, b) => b.length - a.length)) {
    if (folder === shimSockets) removeDeadSockets(folder);
    if (cniFolders.includes(folder)) rmSync(folder, { recursive: true });
    else if (readdirSync(folder).length === 0) rmdirSync(folder);
  }

  return differences(was, now());
}

/** Removes the sockets no process listens on any more: those of shims that were killed (a host restart). */
function removeDeadSockets(folder: string): void {
  const listening = new Set(
    readFileSync('/proc/net/unix', 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/)[7])
      .filter(Boolean),
  );
  for (const name of readdirSync(folder))
    if (!listening.has(join(folder, name))) rmSync(join(folder, name), { force: true });
}

/**
 * Traces of a cluster that is not this checkout's (another clone of the project, taken down by nobody):
 * the node address, the bridge, the kubelet's cgroups, mounts under another cluster state folder. Two
 * clusters cannot share them, so a new one must not start over them.
 */
export function foreignClusterTraces(stateRoot: string): string[] {
  const otherRoots = [...new Set(listMounts().flatMap((m) => /^(.*\/\.dev\/cluster)\//.exec(m)?.[1] ?? []))].filter(
    (root) => root !== stateRoot,
  );
  return [
    ...(listAddresses().includes(`lo ${network.nodeAddress}/32`)
      ? [`the node address ${network.nodeAddress} on lo`]
      : []),
    ...(listLinks().includes(network.bridge) ? [`the bridge ${network.bridge}`] : []),
    ...(isDirectory(join(cgroupRoot, 'memory', 'kubepods')) ? ['kubelet cgroups (kubepods)'] : []),
    ...otherRoots.map((root) => `mounts under ${root}`),
  ];
}

/** What differs between two snapshots, one line each (empty: the same). */
function differences(before: HostSnapshot, after: HostSnapshot): string[] {
  const lines: string[] = [];
  const compare = (what: string, a: string[], b: string[]) => {
    for (const item of b.filter((x) => !a.includes(x))) lines.push(`${what} added: ${item}`);
    for (const item of a.filter((x) => !b.includes(x))) lines.push(`${what} removed: ${item}`);
  };
  for (const [key, value] of Object.entries(before.sysctls))
    if (after.sysctls[key] !== value) lines.push(`sysctl ${key}: ${value} -> ${after.sysctls[key]}`);
  compare('firewall', before.nftables.map(nftIdentity), after.nftables.map(nftIdentity));
  compare('ipset', before.ipsets, after.ipsets);
  compare('link', before.links, after.links);
  compare('address', before.addresses, after.addresses);
  compare('network namespace', before.netns, after.netns);
  compare('mount', before.mounts, after.mounts);
  for (const [hierarchy, dirs] of Object.entries(before.cgroups))
    compare(`cgroup ${hierarchy}`, dirs, after.cgroups[hierarchy] ?? []);
  compare('file', before.files, after.files);
  compare('folder', before.folders, after.folders);
  return lines;
}

/**
 * The nft commands (argument lists, in order) that remove what the cluster added to the firewall between two
 * full rulesets, and nothing else.
 */
export function firewallCleanup(before: NftObject[], current: NftObject[]): string[][] {
  const was = clusterFirewall(before, before);
  const now = clusterFirewall(current, before);
  const known = new Set(was.map(nftIdentity));
  const tables = now.flatMap((o) => (o.table && !known.has(nftIdentity(o)) ? [o.table] : []));
  const isNewTable = (family: string, name: string) => tables.some((t) => t.family === family && t.name === name);
  const chains = now.flatMap((o) =>
    o.chain && !known.has(nftIdentity(o)) && !isNewTable(o.chain.family, o.chain.table) ? [o.chain] : [],
  );
  // Rules are compared by content: a rule that was there before keeps its place.
  const keptRules = new Map<string, number>();
  for (const identity of was.filter((o) => o.rule).map(nftIdentity))
    keptRules.set(identity, (keptRules.get(identity) ?? 0) + 1);
  const rules = now.flatMap((o) => {
    if (!o.rule || isNewTable(o.rule.family, o.rule.table)) return [];
    const identity = nftIdentity(o);
    const left = keptRules.get(identity) ?? 0;
    if (left > 0) {
      keptRules.set(identity, left - 1);
      return [];
    }
    return chains.some((c) => c.family === o.rule?.family && c.table === o.rule.table && c.name === o.rule.chain)
      ? []
      : [o.rule];
  });
  return [
    ...rules.map((rule) => ['delete', 'rule', rule.family, rule.table, rule.chain, 'handle', String(rule.handle)]),
    // Flush every new chain before deleting any: new chains jump to each other.
    ...chains.map((chain) => ['flush', 'chain', chain.family, chain.table, chain.name]),
    ...chains.map((chain) => ['delete', 'chain', chain.family, chain.table, chain.name]),
    ...tables.map((table) => ['delete', 'table', table.family, table.name]),
  ];
}

function nftIdentity(object: NftObject): string {
  if (object.table) return `table ${object.table.family} ${object.table.name}`;
  if (object.chain)
    return `chain ${object.chain.family} ${object.chain.table} ${object.chain.name} policy=${object.chain.policy ?? '-'}`;
  if (object.rule)
    return `rule ${object.rule.family} ${object.rule.table} ${object.rule.chain} ${JSON.stringify(object.rule.expr)}`;
  return JSON.stringify(object);
}

const ipsetEnv = (tools: HostTools) => ({ LD_LIBRARY_PATH: tools.ipset.libraryPath });

function listIpsets(tools: HostTools): string[] {
  return run(tools.ipset.command, ['list', '-n'], ipsetEnv(tools)).split('\n').filter(Boolean).sort();
}

/** Network interfaces, by name. */
const listLinks = (): string[] =>
  (JSON.parse(run('ip', ['-j', 'link', 'show'])) as { ifname: string }[]).map((link) => link.ifname);

/** Addresses, as "<interface> <address>/<prefix>". */
const listAddresses = (): string[] =>
  (
    JSON.parse(run('ip', ['-j', 'addr', 'show'])) as {
      ifname: string;
      addr_info: { local: string; prefixlen: number }[];
    }[]
  ).flatMap((link) => link.addr_info.map((a) => `${link.ifname} ${a.local}/${a.prefixlen}`));

/** Mount points of this mount namespace. */
const listMounts = (): string[] =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .trim()
    .split('\n')
    .map((line) => unescapeMountPath(line.split(' ')[4] ?? ''));

function readSysctl(key: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function writeSysctl(key: string, value: string): void {
  writeFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, value);
}

function subdirectories(root: string, prefix = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    found.push(path, ...subdirectories(root, path));
  }
  return found;
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

const unescapeMountPath = (path: string): string =>
  path.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

function run(command: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function tryRun(command: string, args: string[], env: Record<string, string> = {}): void {
  try {
    run(command, args, env);
  } catch {
    // whatever is left is reported by differences()
  }
}
