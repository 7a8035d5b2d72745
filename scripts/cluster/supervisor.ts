// The local cluster's parent process: started detached by `npm run cluster` (under tini, which reaps the
// runtime's orphaned shims), it brings the cluster up, reports progress until it is ready, then stays as
// the parent of every component until SIGTERM or SIGINT, when it takes everything down and restores the host.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeCluster, readyMarker } from './description.ts';
import { importImages, imageRef } from './images.ts';
import { leftovers, startNode, stopNode } from './node.ts';
import { installAddons, installMonitoring, installPlatform } from './platform.ts';
import { startGitops } from './gitops.ts';
import { components as applicationSetComponents } from '../../helm/test/lib/repo.ts';
import { clusterLayout } from './settings.ts';

const layout = clusterLayout(process.env['CLUSTER_STATE_DIR']);
/** Argo CD installs the platform from git (npm run cluster -- --gitops), instead of helm. */
const gitopsMode = process.env['CLUSTER_MODE'] === 'gitops';
mkdirSync(layout.logsDir, { recursive: true });
const logPath = join(layout.logsDir, 'supervisor.log');
/** Progress goes to the launching terminal until the cluster is ready, and always to the log. */
let attached = true;
const say = (line: string) => {
  appendFileSync(logPath, `${new Date().toISOString()} ${line}\n`);
  if (attached) process.stdout.write(`${line}\n`);
};

let stopSignal: string | undefined;
const stopRequested = new Promise<string>((resolve) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.on(signal, () => {
      stopSignal ??= signal;
      resolve(signal);
    });
});
const checkpoint = () => {
  if (stopSignal !== undefined) throw new Error(`${stopSignal} during start-up`);
};

const refusal = leftovers(layout);
if (refusal !== undefined) {
  say(`FAILED: ${refusal}`);
  process.exit(1);
}

let exitCode = 0;
try {
  const started = Date.now();
  const cluster = await startNode(
    layout,
    {
      sandbox: imageRef('pause'),
      importAll: (socket) => {
        importImages(socket, say);
      },
    },
    (m) => {
      say(`- ${m}`);
      checkpoint();
    },
  );
  await installAddons(cluster, { coredns: imageRef('coredns') }, (m) => {
    say(`- ${m}`);
    checkpoint();
  });
  const progress = (m: string) => {
    say(`- ${m}`);
    checkpoint();
  };
  // Argo CD installs the platform from git (and resolves with the revision dev runs), or helm does.
  const gitRevision = gitopsMode
    ? await startGitops(layout, cluster, { argocd: imageRef('argocd'), redis: imageRef('redis') }, progress)
    : undefined;
  const installed =
    gitRevision === undefined ? await installPlatform(cluster, layout, progress) : applicationSetComponents();
  await installMonitoring(
    cluster,
    { prometheus: imageRef('prometheus'), alertmanager: imageRef('alertmanager'), receiver: imageRef('api') },
    progress,
  );
  const description = describeCluster(layout, installed, Date.now() - started, gitRevision);
  writeFileSync(layout.descriptionFile, JSON.stringify(description, null, 2));
  say(readyMarker);
  attached = false;
  process.stdout.end();
  say(`stopping on ${await stopRequested}`);
} catch (error) {
  say(`FAILED: ${(error as Error).message}`);
  exitCode = 1;
  if (process.env['CLUSTER_KEEP_ON_FAILURE'] === '1' && stopSignal === undefined) {
    say(`left running for inspection (KUBECONFIG=${layout.kubeconfig}); npm run cluster -- --down removes it`);
    say(readyMarker);
    attached = false;
    process.stdout.end();
    say(`stopping on ${await stopRequested}`);
  }
}

const left = await stopNode(layout, (m) => {
  say(`- ${m}`);
});
if (left.length > 0) {
  say(`the host is not as it was: ${left.length} differences:\n${left.map((l) => `  ${l}`).join('\n')}`);
  exitCode = 1;
} else {
  say('cluster stopped; the host is as it was');
}
process.exit(exitCode);
