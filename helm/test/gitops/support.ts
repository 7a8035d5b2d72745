// What the GitOps suites share: the cluster of `npm run cluster -- --gitops`, Argo CD's Applications on it,
// production's stand-in, and commits to the repository Argo CD reads.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { waitFor } from '../../../scripts/lib/wait.ts';
import { applications, commit, git, type Application } from '../../../scripts/cluster/gitops.ts';
import { kube } from '../../../scripts/cluster/kube.ts';
import { cluster, description } from '../cluster/support.ts';

if (description.gitops === undefined)
  throw new Error('the running cluster is not in gitops mode: npm run cluster -- --gitops');
export const gitopsDescription = description.gitops;
export const prod = kube(gitopsDescription.prodKubeconfig);
export const workTree = gitopsDescription.workTree;

export const application = async (name: string): Promise<Application> => {
  const found = (await applications(cluster)).find((a) => a.metadata.name === name);
  if (found === undefined) throw new Error(`no Application ${name}`);
  return found;
};

/** Writes files into the repository's main branch as one commit, pushed where Argo CD reads; returns the commit. */
export function pushCommit(message: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(workTree, path)), { recursive: true });
    writeFileSync(join(workTree, path), text);
  }
  git(workTree, ['add', '--all']);
  commit(workTree, message);
  git(workTree, ['push', '--quiet', 'origin', 'main']);
  return head();
}

export const head = (): string => git(workTree, ['rev-parse', 'HEAD']).trim();

/** Waits until the Application is synced to `revision` (and healthy, unless told otherwise). */
export async function waitForSync(
  name: string,
  revision: string,
  { healthy = true, timeoutMs = 180_000 } = {},
): Promise<Application> {
  return waitFor(
    `${name} did not sync to ${revision.slice(0, 12)}`,
    async () => {
      const app = await application(name);
      const synced = app.status?.sync?.status === 'Synced' && app.status.sync.revision === revision;
      return synced && (!healthy || app.status?.health?.status === 'Healthy') ? app : undefined;
    },
    { timeoutMs },
  );
}
