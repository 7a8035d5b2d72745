// The image service's MinIO user, against a real MinIO: with its credentials everything the service does on the
// images bucket works (helm/charts/minio/files/image-service-policy.json), and nothing else does: another bucket,
// creating buckets, listing them, and MinIO's admin API all answer AccessDenied. Needs minio and mc
// (bash scripts/tools/install.sh minio mc).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { findTool } from '../../object-store.ts';
import { provisionImageServiceAccess } from '../../object-store-access.ts';
import { startTestObjectStore } from '../../testing.ts';

const bucket = 'images';
const otherBucket = 'not-images';

describe("the image service's MinIO user", () => {
  let store: Awaited<ReturnType<typeof startTestObjectStore>>;
  let configDir: string;
  let asRoot: S3Client;
  let asImageService: S3Client;
  const client = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
    new S3Client({ endpoint: store.endpoint, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });

  before(async () => {
    store = await startTestObjectStore('minio');
    configDir = mkdtempSync(join(tmpdir(), 'mc-config-'));
    asRoot = client(store);
    asImageService = client(store.imageService);
    await asRoot.send(new CreateBucketCommand({ Bucket: otherBucket }));
  });
  after(async () => {
    asRoot.destroy();
    asImageService.destroy();
    await store.dispose();
    rmSync(configDir, { recursive: true, force: true });
  });

  it('is unknown before the step has run', async () => {
    await assert.rejects(asImageService.send(new ListBucketsCommand({})), { name: 'InvalidAccessKeyId' });
  });

  it('is created with its bucket, and the step can run again (every start, every sync)', async () => {
    await provisionImageServiceAccess(store, bucket, configDir);
    const again = await provisionImageServiceAccess(store, bucket, configDir);
    assert.match(again, /bucket images and user image-service with policy image-service/);
  });

  it('does on the images bucket all the image service does', async () => {
    const Bucket = bucket;
    await asImageService.send(new HeadBucketCommand({ Bucket }));
    await asImageService.send(new PutObjectCommand({ Bucket, Key: 'owner/a.png', Body: 'bytes' }));
    const { Body } = await asImageService.send(new GetObjectCommand({ Bucket, Key: 'owner/a.png' }));
    assert.equal(await Body?.transformToString(), 'bytes');
    await asImageService.send(new DeleteObjectCommand({ Bucket, Key: 'owner/a.png' }));
    const { UploadId } = await asImageService.send(new CreateMultipartUploadCommand({ Bucket, Key: 'owner/b.png' }));
    await asImageService.send(
      new UploadPartCommand({ Bucket, Key: 'owner/b.png', UploadId, PartNumber: 1, Body: 'part' }),
    );
    const { Parts } = await asImageService.send(new ListPartsCommand({ Bucket, Key: 'owner/b.png', UploadId }));
    assert.equal(Parts?.length, 1);
    const { Uploads } = await asImageService.send(new ListMultipartUploadsCommand({ Bucket }));
    assert.equal(Uploads?.length, 1);
    await asImageService.send(new AbortMultipartUploadCommand({ Bucket, Key: 'owner/b.png', UploadId }));
  });

  it('is refused another bucket and creating buckets, and sees no bucket but its own', async () => {
    await refused(asImageService.send(new PutObjectCommand({ Bucket: otherBucket, Key: 'x', Body: 'x' })));
    await refused(asImageService.send(new GetObjectCommand({ Bucket: otherBucket, Key: 'x' })));
    await refused(asImageService.send(new HeadBucketCommand({ Bucket: otherBucket })), { head: true });
    await refused(asImageService.send(new CreateBucketCommand({ Bucket: 'another' })));
    // MinIO answers ListBuckets with the buckets the policy lets the user list.
    const { Buckets } = await asImageService.send(new ListBucketsCommand({}));
    assert.deepEqual(
      Buckets?.map(({ Name }) => Name),
      [bucket],
    );
  });

  it("is refused MinIO's admin API", async () => {
    const mc = findTool('mc');
    assert.ok(mc !== undefined, 'mc is installed (bash scripts/tools/install.sh mc)');
    const { accessKeyId, secretAccessKey } = store.imageService;
    const env = { ...process.env, MC_CONFIG_DIR: configDir };
    const run = (...args: string[]) => promisify(execFile)(mc, ['--no-color', ...args], { env, timeout: 30_000 });
    await run('alias', 'set', 'image', store.endpoint, accessKeyId, secretAccessKey);
    for (const command of [
      ['admin', 'user', 'list', 'image'],
      ['admin', 'policy', 'attach', 'image', 'consoleAdmin', '--user', accessKeyId],
      ['admin', 'info', 'image'],
    ]) {
      const failure = await run(...command).then(
        () => assert.fail(`mc ${command.join(' ')} succeeded with the image service's credentials`),
        (error: unknown) => error as { stderr: string },
      );
      assert.match(failure.stderr, /Access Denied/i, `mc ${command.join(' ')}`);
    }
  });
});

/** Resolves when `request` is refused: 403 AccessDenied (a HEAD answer has no body to name the error: only 403). */
async function refused(request: Promise<unknown>, { head = false } = {}): Promise<void> {
  await assert.rejects(request, (error: unknown) => {
    assert.ok(error instanceof S3ServiceException, String(error));
    assert.equal(error.$metadata.httpStatusCode, 403, error.name);
    if (!head) assert.equal(error.name, 'AccessDenied', error.message);
    return true;
  });
}
