// The SLO drill, the GitOps way: dev's Applications self-heal, so MinIO is stopped the only way that lasts, by a
// commit on main that sets its replicas to 0, and brought back by a commit that puts the file back. Argo CD syncs
// both by itself; the page and its resolution are timed from each push (so they include Argo CD's reaction: a
// reconciliation every 15 s here).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { report } from '../cluster/support.ts';
import { sloDrill, waitForMinio } from '../cluster/slo-drill.ts';
import { pushCommit, workTree } from './support.ts';

const devMinio = 'helm/env/dev/minio.yaml';

describe('the SLO drill on the cluster, through git', () => {
  test('MinIO stopped by a commit: the upload SLO pages through the in-cluster Alertmanager; put back: the page resolves', async () => {
    const values = readFileSync(join(workTree, devMinio), 'utf8');
    const figures = await sloDrill({
      stop: async () => {
        pushCommit('minio: stopped for the SLO drill', {
          [devMinio]: `${values.trimEnd()}\n${stringify({ replicas: 0 })}`,
        });
        await waitForMinio(0);
      },
      start: async () => {
        pushCommit('minio: back after the SLO drill', { [devMinio]: values });
        await waitForMinio(1);
      },
    });
    report('gitops-drill', { ...figures });
  });
});
