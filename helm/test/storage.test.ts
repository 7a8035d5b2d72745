// The data stores' side of issue 14, rendered: a MinIO with CVE-2025-62506's fix in every environment, the image
// service on a MinIO user of its own limited to its bucket (never the root user), and Redis for auth's counters.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
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
  secretValues,
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
    test(`${env}: MinIO and its provisioning Job run a release with the fix`, () => {
      const objects = render(env, minio);
      for (const [kind, name] of [
        ['StatefulSet', 'minio'],
        ['Job', 'minio-provision'],
      ] as const) {
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

type SecretsFile = { secrets: { name: string; namespace: string; data: Record<string, string> }[] };
/** The data of one decrypted dev Secret, by namespace/name. */
const devSecret = (id: string): Record<string, string> =>
  must(
    (parse(secretValues('dev')) as SecretsFile).secrets.find((s) => `${s.namespace}/${s.name}` === id),
    id,
  ).data;

type Statement = { Effect: string; Action: string[]; Resource: string[] };

describe("the image service's MinIO user", () => {
  const bucket = must(readYaml<{ env: Record<string, string> }>('helm/charts/image/values.yaml').env['S3_BUCKET']);
  const policy = JSON.parse(readText('helm/charts/minio/files/image-service-policy.json')) as {
    Statement: Statement[];
  };

  test('its policy allows only what the image service does, only on its bucket', () => {
    const allowed = new Set([
      's3:ListBucket', // HeadBucket: the readiness check, and the start-up check that the bucket exists
      's3:ListBucketMultipartUploads',
      's3:PutObject', // PutObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload
      's3:GetObject',
      's3:DeleteObject',
      's3:AbortMultipartUpload',
      's3:ListMultipartUploadParts',
    ]);
    for (const statement of policy.Statement) {
      assert.equal(statement.Effect, 'Allow');
      for (const action of statement.Action) assert.ok(allowed.has(action), action);
      for (const resource of statement.Resource)
        assert.ok([`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`].includes(resource), resource);
    }
    assert.deepEqual(new Set(policy.Statement.flatMap((s) => s.Action)), allowed);
  });

  test('the provisioning Job creates the bucket the image service uses, with its user', () => {
    const values = readYaml<{ imageService: { bucket: string; credentialsSecret: string } }>(
      'helm/charts/minio/values.yaml',
    );
    assert.equal(values.imageService.bucket, bucket);
    for (const env of environments) {
      const job = must(render(env, minio).find((o) => o.kind === 'Job' && o.metadata.name === 'minio-provision'));
      const annotations = must(job.metadata.annotations, 'annotations');
      assert.equal(annotations['argocd.argoproj.io/hook'], 'PostSync');
      assert.match(annotations['helm.sh/hook'] ?? '', /post-install/);
      const container = must(must(podTemplate(job)).spec.containers[0]);
      const variables = container.env as {
        name: string;
        value?: string;
        valueFrom?: { secretKeyRef: { name: string } };
      }[];
      const secretOf = (name: string) => variables.find((e) => e.name === name)?.valueFrom?.secretKeyRef.name;
      assert.equal(secretOf('SERVICE_ACCESS_KEY'), values.imageService.credentialsSecret);
      assert.equal(secretOf('MINIO_ROOT_USER'), 'minio-credentials');
      assert.equal(variables.find((e) => e.name === 'BUCKET')?.value, bucket);
    }
  });

  test('no provisioning Job while MinIO runs no pod: a PostSync hook against nothing would hold the next sync', () => {
    for (const env of environments) {
      const provisioning = (replicas: number) =>
        render(env, minio, ['--set', `replicas=${String(replicas)}`]).filter(
          (o) => o.kind === 'Job' && o.metadata.name === 'minio-provision',
        );
      assert.equal(provisioning(0).length, 0, `${env}: replicas 0`);
      assert.equal(provisioning(1).length, 1, `${env}: replicas 1`);
    }
  });

  test('dev: the image service mounts its own user’s credentials, never the root user’s', () => {
    const data = devSecret;
    const imageS3 = data('image-ns/image-s3');
    const root = data('data-ns/minio-credentials');
    const user = data('data-ns/minio-image-service');
    assert.notEqual(imageS3['access-key-id'], root['root-user']);
    assert.notEqual(imageS3['secret-access-key'], root['root-password']);
    assert.deepEqual(imageS3, user, 'the Job creates the user the image service logs in as');
    assert.ok(must(user['secret-access-key']).length >= 32);
  });
});

describe('Redis for auth', () => {
  const redis = must(components().find((c) => c.component === 'redis'));
  const auth = must(components().find((c) => c.component === 'auth'));

  for (const env of environments)
    test(`${env}: one Redis, in memory, with a password, and auth given its URL`, () => {
      const objects = render(env, redis);
      const deployment = must(objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'redis'));
      assert.equal((deployment['spec'] as { replicas: number }).replicas, 1);
      const container = must(must(podTemplate(deployment)).spec.containers[0]);
      const args = (container as { args?: string[] }).args ?? [];
      const flag = (name: string) => args[args.indexOf(name) + 1];
      assert.equal(flag('--save'), '');
      assert.equal(flag('--appendonly'), 'no');
      // The password is in no argument and no variable of the server: its configuration reads it from the mounted file.
      const command = (container as { command?: string[] }).command ?? [];
      assert.ok(![...command, ...args].some((word) => word.includes('requirepass') && !word.includes('$(cat ')));
      assert.match(command.join(' '), /redis-server - .*requirepass "\$\(cat \/run\/secrets\/redis\/password\)"/s);
      assert.equal(args.indexOf('--requirepass'), -1);
      assert.deepEqual(container.env ?? [], [], 'no variable holds the password');
      assert.ok(container.readinessProbe && container.livenessProbe);
      const authDeployment = must(render(env, auth).find((o) => o.kind === 'Deployment'));
      const authEnv = must(must(podTemplate(authDeployment)).spec.containers[0]).env ?? [];
      assert.equal(authEnv.find((e) => e.name === 'REDIS_URL_FILE')?.value, '/run/secrets/auth-redis/url');
    });

  test('local cluster: the redis image built here (images/redis)', () => {
    const objects = renderLocalCluster('redis', redis.namespace);
    assert.equal(imageOf(objects, 'Deployment', 'redis'), 'localhost/redis:bookworm');
  });

  test('dev: auth’s URL names the Redis Service and its password', () => {
    const data = devSecret;
    const url = new URL(must(data('auth-ns/auth-redis')['url']));
    assert.equal(url.protocol, 'redis:');
    assert.equal(url.host, `redis.${redis.namespace}.svc.cluster.local:6379`);
    assert.equal(decodeURIComponent(url.password), data('data-ns/redis-credentials')['password']);
    assert.ok(must(data('data-ns/redis-credentials')['password']).length >= 32);
  });
});

test('prod: every Secret a workload uses is in the prod secrets file', () => {
  const provided = new Set(
    (parse(secretValues('prod')) as SecretsFile).secrets.map(({ namespace, name }) => `${namespace}/${name}`),
  );
  const used = new Set(
    components().flatMap((component) =>
      render('prod', component).flatMap((object) => {
        const pod = podTemplate(object);
        if (pod === undefined) return [];
        const namespace = must(object.metadata.namespace);
        const volumes = (pod.spec['volumes'] ?? []) as { secret?: { secretName: string } }[];
        const fromVolumes = volumes.flatMap((volume) => (volume.secret ? [volume.secret.secretName] : []));
        const fromEnv = pod.spec.containers.flatMap((container) =>
          ((container.env ?? []) as { valueFrom?: { secretKeyRef?: { name: string } } }[]).flatMap((variable) =>
            variable.valueFrom?.secretKeyRef ? [variable.valueFrom.secretKeyRef.name] : [],
          ),
        );
        return [...fromVolumes, ...fromEnv].map((name) => `${namespace}/${name}`);
      }),
    ),
  );
  // Secrets cert-manager writes from a Certificate the charts render (the prober's copy of the edge's CA).
  for (const component of components())
    for (const object of render('prod', component).filter((o) => o.kind === 'Certificate'))
      provided.add(`${must(object.metadata.namespace)}/${(object['spec'] as { secretName: string }).secretName}`);
  const missing = [...used].filter((secret) => !provided.has(secret) && !notYetInProd.has(secret)).sort();
  assert.deepEqual(missing, [], 'add them to helm/env/prod/secrets.yaml');
  // An entry that has been added since must leave the list below.
  assert.deepEqual(
    [...notYetInProd].filter((secret) => provided.has(secret)),
    [],
    'remove them from notYetInProd',
  );
});

/**
 * Used in prod but not yet in helm/env/prod/secrets.yaml, each with why. prober-account (the journey prober's
 * password) is in dev's file; prod's can be edited only with its KMS key or the break-glass key (helm/README.md,
 * "Secrets"), neither of which these machines hold. Until someone who holds one adds it (`sops set`), the prod
 * prober cannot start, and JourneyTargetDown pages in prod: the gap is loud, not silent.
 */
const notYetInProd = new Set(['prober-ns/prober-account']);
