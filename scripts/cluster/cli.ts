// The local cluster: a real single-node Kubernetes on this machine, no Docker, running the platform.
//   npm run cluster [-- --down | --status | --help]
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { waitFor } from '../lib/wait.ts';
import { readyMarker, statusTable } from './description.ts';
import { runningDaemons } from './daemons.ts';
import { kube } from './kube.ts';
import { leftovers, stopNode } from './node.ts';
import { clusterLayout, network, repoRoot } from './settings.ts';

const usage = `Usage: npm run cluster -- [options]

Starts a real single-node Kubernetes 1.34 on this machine (etcd, API server, controller manager,
scheduler, containerd, kubelet, kube-proxy, kube-router for NetworkPolicy, CoreDNS) from binaries
built once into ~/.cache/platform-tools, imports the images built here (scripts/images/build.sh), and
installs every chart of the platform with the dev values (helm/env/dev, plus helm/env/local-cluster). It runs
in the background; the table at the end says how to reach it. Needs root on Linux (it adds the node
address ${network.nodeAddress} on lo, a bridge, firewall rules, mounts); --down puts the host back as it was.

Options:
  --gitops     install the platform with Argo CD from git instead of helm: a git daemon serves this
               commit, "prod" is a second API server with a kwok node, and a registry holds releases
  --down       stop the cluster, remove its containers and restore the host
  --status     show the status table of the running cluster
  -h, --help   show this help

Environment:
  CLUSTER_KEEP_ON_FAILURE=1  leave a cluster that failed to start running, to inspect it`;

const { values } = parseArgs({
  options: {
    down: { type: 'boolean', default: false },
    gitops: { type: 'boolean', default: false },
    status: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const layout = clusterLayout(process.env['CLUSTER_STATE_DIR']);
const supervisorLog = join(layout.logsDir, 'supervisor.log');

/** Alive: running, not a zombie (its parent gone, it waits for an init that here does not reap). */
const isAlive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** The pid of the live supervisor, if any. */
function supervisorPid(): number | undefined {
  if (!existsSync(layout.lockFile)) return undefined;
  const pid = Number(readFileSync(layout.lockFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

async function printStatus(): Promise<void> {
  console.log(`\n${await statusTable(layout, kube(layout.kubeconfig))}\n`);
  console.log(`Logs: ${layout.logsDir}/   Stop: npm run cluster -- --down\n`);
}

async function down(): Promise<number> {
  const pid = supervisorPid();
  if (pid !== undefined) {
    const from = existsSync(supervisorLog) ? statSync(supervisorLog).size : 0;
    console.log(`stopping the cluster (supervisor pid ${pid})...`);
    process.kill(pid, 'SIGTERM');
    await waitFor('the cluster did not stop', () => !isAlive(pid), { timeoutMs: 180_000 });
    const report = readFileSync(supervisorLog, 'utf8').slice(from);
    console.log(report.replace(/^\S+ /gm, '').trimEnd());
    rmSync(layout.lockFile, { force: true });
    return /the host is as it was/.test(report) ? 0 : 1;
  }
  if (runningDaemons(layout).size === 0 && !existsSync(layout.hostSnapshot)) {
    console.log('no cluster is running.');
    return 0;
  }
  // The supervisor is gone (killed): stop what it left and restore the host from here.
  console.log('the supervisor is gone: stopping what it started and restoring the host');
  const left = await stopNode(layout, (m) => {
    console.log(`- ${m}`);
  });
  if (left.length > 0) {
    console.error(`the host is not as it was:\n${left.map((l) => `  ${l}`).join('\n')}`);
    return 1;
  }
  console.log('cluster stopped; the host is as it was');
  return 0;
}

async function up(): Promise<number> {
  const running = supervisorPid();
  if (running !== undefined) {
    console.log(`the cluster is already running (supervisor pid ${running}).`);
    if (existsSync(layout.descriptionFile)) await printStatus();
    return 0;
  }
  const refusal = leftovers(layout);
  if (refusal !== undefined) {
    console.error(`npm run cluster: ${refusal}`);
    return 1;
  }
  if (process.getuid?.() !== 0) {
    console.error(
      'npm run cluster: needs root (it adds an address, a bridge, firewall rules and mounts, and runs the kubelet)',
    );
    return 1;
  }
  mkdirSync(layout.logsDir, { recursive: true });
  const started = Date.now();
  // Its errors go to its log: this terminal may be gone while it runs.
  const errors = openSync(supervisorLog, 'w');
  // tini -s: a subreaper, so the runtime's shims (which re-parent) are reaped even after this terminal is gone.
  const supervisor = spawn('tini', ['-s', '--', process.execPath, join(repoRoot, 'scripts/cluster/supervisor.ts')], {
    detached: true,
    stdio: ['ignore', 'pipe', errors],
    env: { ...process.env, CLUSTER_MODE: values.gitops ? 'gitops' : 'helm' },
  });
  closeSync(errors);
  const output = supervisor.stdout;
  if (supervisor.pid === undefined || output === null)
    throw new Error('could not start the supervisor (is tini installed? bash scripts/tools/install.sh)');
  writeFileSync(layout.lockFile, `${supervisor.pid}\n`);
  const stopSupervisor = () => {
    supervisor.kill('SIGTERM');
  };
  process.on('SIGINT', stopSupervisor);
  process.on('SIGTERM', stopSupervisor);
  let ready = false;
  for await (const line of createInterface({ input: output })) {
    console.log(line);
    if (line === readyMarker) {
      ready = true;
      break;
    }
  }
  if (!ready) {
    const code = await new Promise<number>((resolve) => {
      if (supervisor.exitCode !== null) resolve(supervisor.exitCode);
      else
        supervisor.once('exit', (c) => {
          resolve(c ?? 1);
        });
    });
    console.error(`npm run cluster: the cluster did not start (log: ${supervisorLog})`);
    return code === 0 ? 1 : code;
  }
  output.destroy();
  supervisor.unref();
  if (!existsSync(layout.descriptionFile)) {
    console.error(
      `npm run cluster: the cluster did not start; it is left running for inspection (log: ${supervisorLog})`,
    );
    return 1;
  }
  console.log(`\nThe platform runs on a real node (${((Date.now() - started) / 1000).toFixed(0)} s):`);
  await printStatus();
  return 0;
}

async function status(): Promise<number> {
  if (supervisorPid() === undefined || !existsSync(layout.descriptionFile)) {
    console.log('no cluster is running.');
    return 1;
  }
  await printStatus();
  return 0;
}

process.exit(values.down ? await down() : values.status ? await status() : await up());
