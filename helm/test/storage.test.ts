// The data stores' side of issue 14, rendered: a MinIO with CVE-2025-62506's fix in every environment.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  components,
  environments,
  type K8sObject,
  must,
  parseDocuments,
  podTemplate,
  readText,
  readYaml,
  render,
  tool,
} from './lib/repo.ts';

/** The first MinIO release with the fix (RELEASE.2025-10-15T17-29-55Z), as a sortable UTC timestamp. */
const fixedRelease = '20251015172955';

/**
 * When a MinIO image tag's source was released, as YYYYMMDDHHMMSS: an upstream tag (RELEASE.2025-10-15T17-29-55Z,
 * optionally with a suffix such as -cpuv1) or the Go pseudo-version of a commit (v0.0.0-20260212201848-7aac2a2c5b7c).
 */
export function minioReleaseTime(tag: string): string {
  const release = /^RELEASE\.(\d{4})-(\d\d)-(\d\d)T(\d\d)-(\d\d)-(\d\d)Z(?:-[\w.]+)?$/.exec(tag);
  if (release) return release.slice(1).join('');
  const pseudo = /^v0\.0\.0-(\d{14})-[0-9a-f]{12}$/.exec(tag);
  if (pseudo) return must(pseudo[1]);
  throw new Error(`not a MinIO release tag or commit pseudo-version: ${tag}`);
}

const minio = must(components().find((c) => c.component === 'minio'));
/** The image of a workload's first container. */
const imageOf = (objects: K8sObject[], kind: string, name: string): string =>
  must(podTemplate(must(objects.find((o) => o.kind === kind && o.metadata.name === name))), `${kind} ${name}`).spec
    .containers[0]?.image ?? '';
const tagOf = (image: string): string => image.slice(image.lastIndexOf(':') + 1);
/** The dev values with the local cluster's diff on top, as scripts/cluster/platform.ts installs them. */
const renderLocalCluster = (component: string, namespace: string): K8sObject[] =>
  parseDocuments(
    tool('helm', [
      'template',
      component,
      `helm/charts/${component}`,
      '--namespace',
      namespace,
      ...['dev', 'local-cluster'].flatMap((env) => ['--values', `helm/env/${env}/${component}.yaml`]),
    ]),
  );

describe('MinIO release (CVE-2025-62506)', () => {
  test('the release check knows the vulnerable default of before from the fixed release', () => {
    assert.ok(minioReleaseTime('RELEASE.2025-09-07T16-13-09Z') < fixedRelease);
    assert.ok(minioReleaseTime('RELEASE.2025-09-07T16-13-09Z-cpuv1') < fixedRelease);
    assert.equal(minioReleaseTime('RELEASE.2025-10-15T17-29-55Z'), fixedRelease);
    assert.ok(minioReleaseTime('v0.0.0-20260212201848-7aac2a2c5b7c') > fixedRelease);
    assert.throws(() => minioReleaseTime('latest'));
  });

  for (const env of environments)
    test(`${env}: MinIO runs a release with the fix`, () => {
      const objects = render(env, minio);
      for (const [kind, name] of [['StatefulSet', 'minio']] as const) {
        const tag = tagOf(imageOf(objects, kind, name));
        assert.ok(minioReleaseTime(tag) >= fixedRelease, `${kind} ${name} runs ${tag}`);
      }
    });

  test('local cluster: the MinIO built here, which is the chart’s release', () => {
    const objects = renderLocalCluster('minio', minio.namespace);
    const image = imageOf(objects, 'StatefulSet', 'minio');
    assert.match(image, /^localhost\/minio:/);
    assert.ok(minioReleaseTime(tagOf(image)) >= fixedRelease, image);
  });

  test('a release older than the fix would be caught', () => {
    const objects = render('dev', minio, ['--set', 'image.tag=RELEASE.2025-09-07T16-13-09Z']);
    assert.ok(minioReleaseTime(tagOf(imageOf(objects, 'StatefulSet', 'minio'))) < fixedRelease);
  });

  test('the chart’s tag is the commit scripts/tools/go-tools.tsv builds (one source for the version)', () => {
    const pinned = must(
      /^minio\s+go-install\s+github\.com\/minio\/minio@(\S+)/m.exec(readText('scripts/tools/go-tools.tsv')),
    )[1];
    assert.equal(readYaml<{ image: { tag: string } }>('helm/charts/minio/values.yaml').image.tag, pinned);
  });
});
