// Promotion, end to end. A commit on main that changes a service reaches dev by itself and not prod (prod reads the
// prod branch); the version is released (its image pushed to the release registry); scripts/promote writes the
// one-line change, which is merged; scripts/release-prod moves the prod branch to it; prod, synced, then runs that
// version with that change, and nothing else in prod moved. A version that was never released cannot be promoted.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { readText } from '../lib/repo.ts';
import { builtImages } from '../../../scripts/cluster/images.ts';
import { waitFor } from '../../../scripts/lib/wait.ts';
import { git, syncApplication } from '../../../scripts/cluster/gitops.ts';
import { cluster, report } from '../cluster/support.ts';
import { application, gitopsDescription, head, prod, pushCommit, waitForSync, workTree } from './support.ts';

const run = promisify(execFile);
/** The next patch release after what prod runs (0.1.0 -> 0.1.1 on a fresh cluster). */
const version =
  readFileSync(join(workTree, 'helm/env/prod/api.yaml'), 'utf8')
    .match(/^ {2}tag: "(\d+)\.(\d+)\.(\d+)"$/m)
    ?.slice(1)
    .map(Number)
    .map((part, index) => (index === 2 ? part + 1 : part))
    .join('.') ?? assert.fail('no tag in helm/env/prod/api.yaml');
const marker = `promotion-${Date.now()}`;

interface Deployment {
  spec: { template: { metadata: { annotations?: Record<string, string> }; spec: { containers: { image: string }[] } } };
}
const deployment = (kube: typeof cluster, name: string, namespace: string) =>
  kube.getJson<Deployment>(['deployment', name, '--namespace', namespace]);

/**
 * Every prod Deployment and StatefulSet, by name, with the pods it runs (its pod template): what a sync would have to
 * change. Not its generation: prod's HorizontalPodAutoscalers change the replica count on their own.
 */
async function prodWorkloads(): Promise<Record<string, string>> {
  const items = (
    await prod.getJson<{
      items: { kind: string; metadata: { namespace: string; name: string }; spec: { template: unknown } }[];
    }>(['deployments,statefulsets', '--all-namespaces'])
  ).items;
  return Object.fromEntries(
    items.map((i) => [`${i.kind}/${i.metadata.namespace}/${i.metadata.name}`, JSON.stringify(i.spec.template)]),
  );
}

describe('promotion from dev to prod', () => {
  test('a change on main reaches dev by itself, not prod; promoting a released version brings it to prod, and only it', async () => {
    const prodBefore = await prodWorkloads();
    const prodApiBefore = await application('api-prod');

    // 1. A change to the api on main: a pod annotation, so every environment's rendering of the api changes.
    const apiValues = readText('helm/charts/api/values.yaml').replace(/^podAnnotations:.*$/m, '');
    const changed = pushCommit(`api: annotate its pods (${marker})`, {
      'helm/charts/api/values.yaml': `${apiValues.trimEnd()}\n${stringify({ podAnnotations: { 'platform/change': marker } })}`,
    });
    await waitForSync('api-dev', changed);
    assert.equal(
      (await deployment(cluster, 'api', 'api-ns')).spec.template.metadata.annotations?.['platform/change'],
      marker,
      'dev runs the change',
    );
    // prod reads its own branch, which main's commits do not move: still in sync with what it runs.
    await waitFor(
      'api-prod did not reconcile after the commit on main',
      async () => (await application('api-prod')).status?.reconciledAt !== prodApiBefore.status?.reconciledAt,
      { timeoutMs: 60_000 },
    );
    const apiProd = await application('api-prod');
    assert.equal(apiProd.status?.sync?.status, 'Synced', 'prod does not see main');
    assert.notEqual(apiProd.status.sync.revision, changed, 'prod is not at main');
    assert.equal(
      apiProd.status.operationState?.syncResult?.revision,
      prodApiBefore.status?.operationState?.syncResult?.revision,
      'and has not moved',
    );
    assert.notEqual(
      (await deployment(prod, 'api', 'api-ns')).spec.template.metadata.annotations?.['platform/change'],
      marker,
      'prod does not run it',
    );

    // 2. A version that was never released cannot be promoted: nothing changes.
    const identity = {
      GIT_AUTHOR_NAME: 'Release manager',
      GIT_AUTHOR_EMAIL: 'release@platform.invalid',
      GIT_COMMITTER_NAME: 'Release manager',
      GIT_COMMITTER_EMAIL: 'release@platform.invalid',
    };
    const env = { ...process.env, ...identity, CONTAINERS_REGISTRIES_CONF: gitopsDescription.registriesConf };
    // The simulated prod's nodes are kwok's: no pod runs there, Prometheus included, so the error budget
    // policy cannot be read and is overridden, as a release manager would, with the reason in the commit
    // (the policy itself, against a real Prometheus: helm/test/promote.test.ts).
    const overrideBudget = ['--override-budget', 'simulated prod runs no Prometheus (kwok nodes)'];
    await assert.rejects(
      run('bash', ['scripts/promote', 'api', '9.9.9', ...overrideBudget], { cwd: workTree, env }),
      /9\.9\.9 does not exist \(nothing changed\): .*manifest unknown/,
    );
    assert.equal(git(workTree, ['status', '--porcelain']).trim(), '');

    // 3. Release: the api image of this commit pushed to the release registry as the version.
    const api = builtImages().find((i) => i.name === 'api');
    assert.ok(api);
    await run('skopeo', [
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      `docker-archive:${api.archive}`,
      `docker://${gitopsDescription.registry}/platform/api:${version}`,
    ]);

    // 4. Promote: the one-line change, on its branch, then merged into main.
    await run('bash', ['scripts/promote', 'api', version, ...overrideBudget], { cwd: workTree, env });
    assert.equal(
      git(workTree, ['diff', '--numstat', 'main', 'HEAD']).trim(),
      '1\t1\thelm/env/prod/api.yaml',
      'one line',
    );
    assert.match(
      git(workTree, ['log', '-1', '--format=%B']),
      /^Error-Budget-Override: simulated prod runs no Prometheus/m,
    );
    git(workTree, ['switch', '--quiet', 'main']);
    git(workTree, ['merge', '--quiet', '--ff-only', `promote/api-${version}`]);
    git(workTree, ['push', '--quiet', 'origin', 'main']);
    const promoted = head();
    // Merged is not released: prod's branch moves only with scripts/release-prod.
    assert.notEqual(git(workTree, ['ls-remote', 'origin', 'refs/heads/prod']).split('\t')[0], promoted);
    await run('bash', ['scripts/release-prod'], { cwd: workTree, env });
    assert.equal(git(workTree, ['ls-remote', 'origin', 'refs/heads/prod']).split('\t')[0], promoted);

    // 5. An operator syncs prod's api: it runs the version, with the change.
    await syncApplication(cluster, 'api-prod');
    await waitForSync('api-prod', promoted, { healthy: false });
    const prodApi = await deployment(prod, 'api', 'api-ns');
    assert.equal(
      prodApi.spec.template.spec.containers[0]?.image,
      `${gitopsDescription.registry}/platform/api:${version}`,
    );
    assert.equal(prodApi.spec.template.metadata.annotations?.['platform/change'], marker);

    // 6. Nothing else in prod moved, and dev still runs its own image.
    const prodAfter = await prodWorkloads();
    const moved = Object.keys(prodAfter).filter((name) => prodAfter[name] !== prodBefore[name]);
    assert.deepEqual(moved, ['Deployment/api-ns/api']);
    assert.equal(
      (await deployment(cluster, 'api', 'api-ns')).spec.template.spec.containers[0]?.image,
      'platform/api:dev',
    );
    report('gitops-promotion', { version, revision: promoted.slice(0, 12) });
  });
});
