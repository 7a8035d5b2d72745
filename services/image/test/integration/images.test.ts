import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createDatabase } from '@platform/database';
import { AppError, createLogger } from '@platform/runtime';
import { startTestDatabase, startTestObjectStore } from '../../../../scripts/local-stack/testing.ts';
import { loadImageConfig } from '../../src/config.ts';
import { createImageRepository, type ImageRepository } from '../../src/data-access/image-repository.ts';
import { createObjectStore } from '../../src/data-access/object-store.ts';
import { createImages } from '../../src/domain/images.ts';
import { mebibyte } from '@platform/test-client';

const png = readFileSync(new URL('../../../../e2e/fixtures/image.png', import.meta.url));
const owner = '3b241101-e2bb-4255-8caf-4136c566a962';
/** Admission is the component tests' subject; here every upload is admitted with room to spare. */
const admitted = { allowanceBytes: Number.MAX_SAFE_INTEGER, release: () => undefined };

/** A PNG header followed by `size` more bytes, produced lazily in 1 MiB chunks. */
function largePng(size: number): Readable {
  const header = png.subarray(0, 33 + 8); // signature, IHDR, and the first IDAT chunk header
  const filler = Buffer.alloc(mebibyte, 7);
  return Readable.from(
    (function* () {
      yield header;
      for (let left = size; left > 0; left -= mebibyte) yield filler.subarray(0, Math.min(mebibyte, left));
    })(),
  );
}

// The embedded server is what a newcomer without MinIO gets, so both paths are proven.
for (const kind of ['minio', 's3rver'] as const) {
  describe(`storing images on ${kind} and PostgreSQL`, () => {
    let database: Awaited<ReturnType<typeof startTestDatabase>>;
    let store: Awaited<ReturnType<typeof startTestObjectStore>>;
    let s3: S3Client;
    let config: ReturnType<typeof loadImageConfig>;

    before(async () => {
      [database, store] = await Promise.all([startTestDatabase(), startTestObjectStore(kind)]);
      config = loadImageConfig({
        DATABASE_URL: database.url,
        S3_ENDPOINT: store.endpoint,
        S3_ACCESS_KEY_ID: store.accessKeyId,
        S3_SECRET_ACCESS_KEY: store.secretAccessKey,
        S3_BUCKET: 'images',
        JWKS_URL: 'http://127.0.0.1:9/unused',
        MAX_UPLOAD_BYTES: String(20 * mebibyte),
      });
      s3 = new S3Client({
        endpoint: store.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey },
      });
      await createObjectStore(config).ensureBucket();
    });
    after(async () => {
      s3.destroy();
      await Promise.all([database.dispose(), store.dispose()]);
    });

    const imagesWith = (overrides: { repository?: ImageRepository } = {}) => {
      const db = createDatabase(config);
      return createImages({
        objects: createObjectStore(config),
        repository: overrides.repository ?? createImageRepository(db),
        limits: {
          maxBytes: config.MAX_UPLOAD_BYTES,
          memoryBudgetBytes: 4,
          memoryCost: () => 1,
          maxUploadsPerUser: 4,
          quotaBytes: config.UPLOAD_QUOTA_BYTES,
          minBytesPerSecond: config.UPLOAD_MIN_BYTES_PER_SECOND,
          rateWindowMs: config.UPLOAD_RATE_WINDOW_MS,
        },
        logger: createLogger('test', 'silent'),
      });
    };
    const objectKeys = async () =>
      ((await s3.send(new ListObjectsV2Command({ Bucket: 'images', Prefix: owner }))).Contents ?? []).map(
        (object) => object.Key,
      );
    const rows = async () =>
      (await createDatabase(config).image.findMany({ where: { ownerId: owner } })).map((row) => row.filename);

    it('stores the bytes and the row, and reads back exactly what was sent', async () => {
      const images = imagesWith();
      const stored = await images.store({
        ownerId: owner,
        admitted,
        originalName: 'image.png',
        content: Readable.from([png]),
      });
      assert.equal(stored.contentType, 'image/png');
      assert.equal(stored.size, png.length);
      const found = await images.find(owner, stored.filename);
      // The lookup reads the row back as it was written (its own statement, not Prisma's mapping).
      assert.deepEqual(found, stored);
      const chunks: Buffer[] = [];
      for await (const chunk of await images.read(found)) chunks.push(chunk as Buffer);
      assert.ok(Buffer.concat(chunks).equals(png));
      await images.remove(owner, stored.filename);
      assert.deepEqual(await objectKeys(), []);
      assert.deepEqual(await rows(), []);
    });

    it('streams a multipart upload larger than one part', async () => {
      const images = imagesWith();
      const stored = await images.store({
        ownerId: owner,
        admitted,
        originalName: 'large.png',
        content: largePng(12 * mebibyte),
      });
      assert.equal(stored.size, 12 * mebibyte + 41);
      await images.remove(owner, stored.filename);
    });

    it('hides images from everyone but their owner', async () => {
      const images = imagesWith();
      const stored = await images.store({
        ownerId: owner,
        admitted,
        originalName: 'mine.png',
        content: Readable.from([png]),
      });
      await assert.rejects(
        images.find('00000000-0000-4000-8000-000000000000', stored.filename),
        (error: unknown) => error instanceof AppError && error.status === 404,
      );
      await assert.rejects(
        images.remove('00000000-0000-4000-8000-000000000000', stored.filename),
        (error: unknown) => error instanceof AppError && error.status === 404,
      );
      await images.remove(owner, stored.filename);
    });

    it('leaves neither object nor row when the upload is over the limit', async () => {
      await assert.rejects(
        imagesWith().store({ ownerId: owner, admitted, originalName: 'huge.png', content: largePng(21 * mebibyte) }),
        (error: unknown) => error instanceof AppError && error.status === 413,
      );
      assert.deepEqual(await objectKeys(), []);
      assert.deepEqual(await rows(), []);
      if (kind === 'minio')
        assert.deepEqual((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'images' }))).Uploads ?? [], []);
    });

    it('deletes the object when the metadata row cannot be written', async () => {
      const failing: ImageRepository = {
        ...createImageRepository(createDatabase(config)),
        createWithinQuota: () => Promise.reject(new Error('database went away')),
      };
      await assert.rejects(
        imagesWith({ repository: failing }).store({
          ownerId: owner,
          admitted,
          originalName: 'image.png',
          content: Readable.from([png]),
        }),
        /database went away/,
      );
      assert.deepEqual(await objectKeys(), []);
      assert.deepEqual(await rows(), []);
    });

    it('records concurrent images of one owner only while they fit the quota, and sums their sizes', async () => {
      const repository = createImageRepository(createDatabase(config));
      const quotaOwner = randomUUID();
      const row = (size: number) => {
        const id = randomUUID();
        return {
          id,
          filename: `${id}_q.png`,
          ownerId: quotaOwner,
          objectKey: `k/${id}`,
          contentType: 'image/png',
          sizeBytes: size,
          etag: '"e"',
        };
      };
      const results = await Promise.all([1, 2, 3, 4].map(() => repository.createWithinQuota(row(400), 1_000)));
      assert.equal(results.filter((result) => result !== null).length, 2, 'two of 400 bytes fit in 1000, not more');
      assert.equal(await repository.usedBytes(quotaOwner), 800);
      assert.equal(await repository.usedBytes(randomUUID()), 0);
    });

    it('stores nothing for content that is not an image', async () => {
      await assert.rejects(
        imagesWith().store({
          ownerId: owner,
          admitted,
          originalName: 'image.png',
          content: Readable.from([Buffer.from('<html>not an image</html>')]),
        }),
        (error: unknown) => error instanceof AppError && error.status === 415,
      );
      assert.deepEqual(await objectKeys(), []);
    });
  });
}
