// GitOps mode (npm run cluster -- --gitops): Argo CD installs the platform instead of helm. The project is served by
// a git daemon (a clone at the commit under test, plus one bootstrap commit); Argo CD's controllers run in the
// cluster from the images built here; "prod" is a second API server whose only node is kwok's, registered with Argo
// CD as the cluster the ApplicationSet's prod Applications target; released images go to a local registry.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { renderTemplate } from '../lib/template.ts';
import { AbortError } from 'p-retry';
import { waitFor } from '../lib/wait.ts';
import { components as applicationSetComponents, devAgeKeyFile, type Component } from '../../helm/test/lib/repo.ts';
import { gitopsComponents } from './components.ts';
import { describeApplications, unreadyPods } from './diagnosis.ts';
import { startDaemon } from './daemons.ts';
import { goModuleDir, toolModule } from './go-modules.ts';
import { kube, type Kube } from './kube.ts';
import type { Progress } from './node.ts';
import { createEdgeSecret, createProberEdgeCaSecret, createVolumes, installCrds, renderComponent } from './platform.ts';
import { binary, gitops, network, repoRoot, type ClusterLayout } from './settings.ts';

const argocdKustomization = join(import.meta.dirname, 'argocd');
/** Where the manifests in argocd/ say the repository is (scripts/bootstrap-argocd.sh rewrites it the same way). */
const placeholderRepository = 'https://git.example.com/platform.git';
export const gitRepository = `git://${network.nodeAddress}:${gitops.gitPort}/platform.git`;
export const releaseRegistry = `${network.nodeAddress}:${gitops.registryPort}`;

export interface GitopsImages {
  argocd: string;
  redis: string;
}

export interface Application {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { project: string; destination: { name?: string; namespace?: string } };
  status?: {
    reconciledAt?: string;
    sync?: { status?: string; revision?: string };
    health?: { status?: string };
    operationState?: {
      phase?: string;
      message?: string;
      retryCount?: number;
      syncResult?: { revision?: string };
    };
    conditions?: { type: string; message: string }[];
    resources?: ApplicationResource[];
  };
}

interface ApplicationResource {
  kind: string;
  name: string;
  namespace?: string;
  status?: string;
  health?: { status?: string; message?: string };
}

/**
 * Production's stand-in, the git server, the registry and Argo CD; then the ApplicationSet, dev synced, prod synced
 * once. Resolves with the revision dev runs.
 */
export async function startGitops(
  layout: ClusterLayout,
  cluster: Kube,
  images: GitopsImages,
  progress: Progress,
): Promise<string> {
  const revision = publishRepository(layout);
  progress(`git: ${gitRepository} at ${revision.slice(0, 12)} (the commit under test and a bootstrap commit)`);
  writeGitopsConfig(layout);
  for (const component of gitopsComponents(layout)) {
    const pid = await startDaemon(component, layout);
    progress(`${component.name} ready (pid ${pid})`);
  }
  const prod = kube(layout.prod.kubeconfig);
  await prepareProd(prod, layout, progress);

  await installArgoCd(cluster, layout, images);
  progress('Argo CD: application controller, ApplicationSet controller, repo server and redis ready');

  // What the dev charts need that git cannot hold: the edge's generated certificate and its CA for the prober,
  // volumes for the claims.
  await createEdgeSecret(cluster, layout);
  await createProberEdgeCaSecret(cluster, layout);
  for (const component of applicationSetComponents())
    await createVolumes(cluster, layout, component, await renderComponent(cluster, layout, component));

  const argocdFolder = join(layout.git.workTree, 'argocd');
  await cluster.kubectl([
    'apply',
    '-f',
    join(argocdFolder, 'projects.yaml'),
    '-f',
    join(argocdFolder, 'applicationset.yaml'),
  ]);
  const expected = applicationSetComponents().length * 2;
  await waitFor(
    'the ApplicationSet did not generate its Applications',
    async () => (await applications(cluster)).length === expected,
    { timeoutMs: 60_000 },
  );
  progress(`ApplicationSet: ${expected} Applications`);

  // The failure names the Applications that held dev back, in Argo CD's words, then what their pods wait for.
  let lagging: Application[] = [];
  await waitFor(
    'dev did not sync',
    async () => {
      lagging = (await applications(cluster)).filter(
        (a) =>
          a.metadata.labels?.['platform/env'] === 'dev' &&
          !(
            a.status?.sync?.status === 'Synced' &&
            a.status.health?.status === 'Healthy' &&
            a.status.sync.revision === revision
          ),
      );
      if (lagging.length === 0) return true;
      throw new Error(`not yet:\n${describeApplications(lagging)}`);
    },
    { timeoutMs: 8 * 60_000 },
  ).catch(async (error: unknown) => {
    const namespaces = new Set(lagging.flatMap((a) => a.spec.destination.namespace ?? []));
    const pods = await Promise.all([...namespaces].map((namespace) => unreadyPods(cluster, namespace)));
    throw new Error([(error as Error).message, ...pods.filter((p) => p !== undefined)].join('\n'), { cause: error });
  });
  progress(`dev: every Application Synced and Healthy at ${revision.slice(0, 12)}`);

  await syncProd(cluster);
  progress('prod: synced once by hand, wave by wave (its Applications have no automated sync)');
  return revision;
}

export const applications = async (cluster: Kube): Promise<Application[]> =>
  (await cluster.getJson<{ items: Application[] }>(['applications.argoproj.io', '--namespace', 'argocd'])).items;

/**
 * The prod Applications an operator syncs. Not secrets-prod: prod's secrets are encrypted to KMS and to a
 * break-glass age key that is not in git (helm/README.md, "Secrets"), so nothing here can decrypt them.
 */
export const prodApplications = (all: Application[]): Application[] =>
  all.filter(
    (a) => a.metadata.labels?.['platform/env'] === 'prod' && a.metadata.labels['platform/component'] !== 'secrets',
  );

/**
 * Syncs every prod Application, a wave after the other (ArgoCD does not order an ApplicationSet's Applications):
 * the namespaces before what lives in them, the database before its migrations. Resolves when all are synced.
 */
export async function syncProd(cluster: Kube): Promise<void> {
  const byWave = new Map<number, Application[]>();
  for (const application of prodApplications(await applications(cluster))) {
    const wave = Number(application.metadata.labels?.['platform/wave']);
    byWave.set(wave, [...(byWave.get(wave) ?? []), application]);
  }
  for (const wave of [...byWave.keys()].sort((a, b) => a - b)) {
    const names = (byWave.get(wave) ?? []).map((a) => a.metadata.name);
    for (const name of names) await syncApplication(cluster, name);
    await waitFor(
      `prod wave ${wave} (${names.join(', ')}) did not sync`,
      async () => {
        const states = (await applications(cluster)).filter((a) => names.includes(a.metadata.name));
        const failed = states.find(
          (a) => a.status?.operationState?.phase === 'Failed' || a.status?.operationState?.phase === 'Error',
        );
        if (failed) throw new AbortError(describeApplications([failed]));
        const lagging = states.filter(
          (a) => !(a.status?.operationState?.phase === 'Succeeded' && a.status.sync?.status === 'Synced'),
        );
        if (lagging.length === 0) return true;
        throw new Error(`not yet:\n${describeApplications(lagging)}`);
      },
      { timeoutMs: 3 * 60_000 },
    );
  }
}

/** What `argocd app sync` does: ask the application controller for a sync operation of the Application's revision. */
export async function syncApplication(cluster: Kube, name: string): Promise<void> {
  await cluster.kubectl([
    'patch',
    'applications.argoproj.io',
    name,
    '--namespace',
    'argocd',
    '--type',
    'merge',
    '--patch',
    JSON.stringify({
      operation: { initiatedBy: { username: 'platform-local-cluster' }, sync: { syncStrategy: { hook: {} } } },
    }),
  ]);
}

/**
 * A bare repository holding the commit under test as main (and as prod, its first release), and on top one bootstrap commit: argocd/ points at this
 * server (what REPO_URL does in scripts/bootstrap-argocd.sh), helm/env/dev takes in helm/env/local-cluster (images
 * built here, the edge's generated certificate and its NodePort), and prod's images come from the local release
 * registry. Returns the bootstrap commit.
 */
function publishRepository(layout: ClusterLayout): string {
  const bare = join(layout.git.root, 'platform.git');
  rmSync(layout.git.root, { recursive: true, force: true });
  rmSync(layout.git.workTree, { recursive: true, force: true });
  git(repoRoot, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  git(repoRoot, ['push', '--quiet', bare, 'HEAD:refs/heads/main']);
  git(repoRoot, ['clone', '--quiet', bare, layout.git.workTree]);
  const work = layout.git.workTree;
  for (const file of readdirSync(join(work, 'argocd'), { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.yaml'),
  )) {
    const path = join(work, 'argocd', file);
    writeFileSync(path, readFileSync(path, 'utf8').replaceAll(placeholderRepository, gitRepository));
  }
  // Text, not YAML: prod's files keep the exact lines scripts/promote edits.
  for (const file of readdirSync(join(work, 'helm/env/prod')).filter((f) => f.endsWith('.yaml'))) {
    const path = join(work, 'helm/env/prod', file);
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replaceAll(
        `repository: ${gitops.releaseRegistry}/`,
        `repository: ${releaseRegistry}/`,
      ),
    );
  }
  const local = join(work, 'helm/env/local-cluster');
  for (const file of readdirSync(local)) {
    const dev = join(work, 'helm/env/dev', file);
    const merged = deepMerge(
      existsSync(dev) ? parse(readFileSync(dev, 'utf8')) : {},
      parse(readFileSync(join(local, file), 'utf8')),
    );
    writeFileSync(
      dev,
      `# dev, with helm/env/local-cluster/${file} merged in (the local cluster's bootstrap commit)\n${stringify(merged)}`,
    );
  }
  git(work, ['add', '--all']);
  commit(work, `Local cluster: Argo CD reads ${gitRepository}; dev takes in helm/env/local-cluster`);
  git(work, ['push', '--quiet', 'origin', 'main']);
  // prod's Applications read the prod branch (argocd/applicationset.yaml): released at the same commit to start with.
  git(work, ['push', '--quiet', 'origin', 'main:refs/heads/prod']);
  return git(work, ['rev-parse', 'HEAD']).trim();
}

/** A commit by the local cluster's own identity (no user configuration needed). */
export function commit(work: string, message: string): void {
  git(work, [
    '-c',
    'user.name=Platform local cluster',
    '-c',
    'user.email=local-cluster@platform.invalid',
    'commit',
    '--quiet',
    '--message',
    message,
  ]);
}

export const git = (cwd: string, args: string[]): string =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Helm's layering of values files: maps merge, everything else is replaced. */
function deepMerge(base: unknown, overlay: unknown): unknown {
  const isMap = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value);
  if (!isMap(base) || !isMap(overlay)) return overlay;
  return Object.fromEntries(
    [...new Set([...Object.keys(base), ...Object.keys(overlay)])].map((key) => [
      key,
      key in overlay ? deepMerge(base[key], overlay[key]) : base[key],
    ]),
  );
}

function writeGitopsConfig(layout: ClusterLayout): void {
  const config = join(import.meta.dirname, 'config');
  const { pki } = layout;
  mkdirSync(join(layout.root, 'prod'), { recursive: true });
  writeFileSync(
    layout.prod.kubeconfig,
    renderTemplate(join(config, 'kubeconfig.yaml'), {
      nodeAddress: network.nodeAddress,
      apiServerPort: gitops.prodPorts.apiServer,
      caCertificate: pki.ca.certificate,
      adminCertificate: pki.admin.certificate,
      adminKey: pki.admin.privateKey,
    }),
    { mode: 0o600 },
  );
  writeFileSync(layout.registriesConf, renderTemplate(join(config, 'registries.conf'), { registry: releaseRegistry }));
  writeFileSync(
    join(layout.configDir, 'registry.yml'),
    renderTemplate(join(config, 'registry.yml'), {
      registryDir: layout.registryDir,
      nodeAddress: network.nodeAddress,
      registryPort: gitops.registryPort,
    }),
  );
  // kwok's "fast" stages, from the kwok module the binary is built from: nodes Ready, pods Running at once, Job pods complete.
  const kwok = toolModule('kwok');
  const stages = execFileSync(
    binary('kubectl'),
    ['kustomize', join(goModuleDir(`${kwok.module}@${kwok.version}`), 'kustomize/stage/fast')],
    { encoding: 'utf8' },
  );
  writeFileSync(layout.prod.kwokStages, stages);
}

/** Production's stand-in: its kwok node, the CRDs the charts use, volumes for its claims. */
async function prepareProd(prod: Kube, layout: ClusterLayout, progress: Progress): Promise<void> {
  await prod.kubectl(
    ['apply', '-f', '-'],
    stringify({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: gitops.prodNodeName,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          'kubernetes.io/hostname': gitops.prodNodeName,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          type: 'kwok',
          'topology.kubernetes.io/zone': 'prod-a',
        },
      },
      status: {
        allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
        capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      },
    }),
  );
  // Its lease first: a node whose only heartbeats are status updates is called NotReady by the node controller,
  // and pods it marks NotReady meanwhile stay so under kwok.
  await waitFor(
    'kwok did not take the prod node',
    async () =>
      (
        await prod.kubectl([
          'get',
          'lease',
          gitops.prodNodeName,
          '--namespace',
          'kube-node-lease',
          '--ignore-not-found',
          '--output=name',
        ])
      ).trim() !== '',
    { timeoutMs: 60_000 },
  );
  await prod.kubectl(['wait', '--for=condition=Ready', `node/${gitops.prodNodeName}`, '--timeout=60s']);
  await installCrds(prod, (message) => {
    progress(`prod ${message}`);
  });
  for (const component of applicationSetComponents().filter((c: Component) => c.valuesScheme !== 'secrets://')) {
    const values = ['--values', join(repoRoot, 'helm/env/prod', `${component.component}.yaml`)];
    await createVolumes(prod, layout, component, await renderComponent(prod, layout, component, values));
  }
  progress(
    `prod: API server https://${network.nodeAddress}:${gitops.prodPorts.apiServer}, node ${gitops.prodNodeName} (kwok)`,
  );
}

/** Argo CD's upstream core install with this platform's patches (scripts/cluster/argocd), its secrets, the prod cluster. */
async function installArgoCd(cluster: Kube, layout: ClusterLayout, images: GitopsImages): Promise<void> {
  const argocd = toolModule('argocd');
  const build = join(layout.configDir, 'argocd');
  rmSync(build, { recursive: true, force: true });
  cpSync(argocdKustomization, build, { recursive: true });
  const [argocdRepository = '', argocdTag = ''] = images.argocd.split(/:(?=[^:]+$)/);
  const [redisRepository = '', redisTag = ''] = images.redis.split(/:(?=[^:]+$)/);
  writeFileSync(
    join(build, 'kustomization.yaml'),
    renderTemplate(join(argocdKustomization, 'kustomization.yaml'), {
      // Relative: kustomize takes no absolute path to another kustomization.
      upstream: relative(
        build,
        join(goModuleDir(`${argocd.module}@${argocd.version}`, argocd.toolchain), 'manifests/core-install'),
      ),
      argocdRepository,
      argocdTag,
      redisRepository,
      redisTag,
    }),
  );
  const manifests = await cluster.kubectl(['kustomize', '--load-restrictor=LoadRestrictionsNone', build]);
  await cluster.kubectl(
    ['apply', '-f', '-'],
    stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argocd' } }),
  );
  // The DEV-ONLY age key, as scripts/bootstrap-argocd.sh gives it to the repo server.
  await cluster.kubectl(
    ['apply', '-f', '-'],
    await cluster.kubectl([
      'create',
      'secret',
      'generic',
      'helm-secrets-private-keys',
      '--namespace',
      'argocd',
      `--from-file=key.txt=${devAgeKeyFile}`,
      '--dry-run=client',
      '--output=yaml',
    ]),
  );
  await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], manifests);
  await cluster.kubectl(['apply', '-f', '-'], stringify(prodClusterSecret(layout)));
  for (const workload of [
    'deployment/argocd-redis',
    'deployment/argocd-repo-server',
    'deployment/argocd-applicationset-controller',
    'statefulset/argocd-application-controller',
  ]) {
    await cluster.kubectl(['rollout', 'status', workload, '--namespace', 'argocd', '--timeout=180s']);
  }
}

/** Argo CD's declarative cluster registration of production's stand-in, named as the ApplicationSet's prod element says. */
function prodClusterSecret(layout: ClusterLayout) {
  const base64 = (path: string) => readFileSync(path).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'cluster-prod', namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
    stringData: {
      name: 'prod',
      server: `https://${network.nodeAddress}:${gitops.prodPorts.apiServer}`,
      config: JSON.stringify({
        tlsClientConfig: {
          caData: base64(layout.pki.ca.certificate),
          certData: base64(layout.pki.admin.certificate),
          keyData: base64(layout.pki.admin.privateKey),
        },
      }),
    },
  };
}
