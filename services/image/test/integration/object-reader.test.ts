import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, startTestObjectStore } from '../../../../scripts/local-stack/testing.ts';
import { createObjectReader, type ObjectReaderOptions } from '../../src/data-access/object-reader.ts';
import { isStoreUnavailable, ObjectStoreResponseError } from '../../src/data-access/store-unavailability.ts';

const Bucket = 'reader';

async function text(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

// The signed GET that replaced the SDK's GetObject on the download path, against both stores a newcomer may run.
for (const kind of ['minio', 's3rver'] as const) {
  describe(`the object reader on ${kind}`, () => {
    let store: Awaited<ReturnType<typeof startTestObjectStore>>;
    let options: ObjectReaderOptions;

    before(async () => {
      store = await startTestObjectStore(kind);
      options = {
        endpoint: store.endpoint,
        region: 'us-east-1',
        bucket: Bucket,
        forcePathStyle: true,
        credentials: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey },
        connectTimeoutMs: 2_000,
        socketTimeoutMs: 10_000,
        maxAttempts: 3,
      };
      const sdk = new S3Client({ ...options, endpoint: store.endpoint });
      await sdk.send(new CreateBucketCommand({ Bucket }));
      for (const Key of ['owner/plain.png', "owner/a b!'()*+é,;=&$@.png"]) {
        await sdk.send(new PutObjectCommand({ Bucket, Key, Body: `bytes of ${Key}` }));
      }
      sdk.destroy();
    });
    after(() => store.dispose());

    it('reads an object back byte for byte, whatever characters its key holds', async () => {
      const reader = createObjectReader(options);
      try {
        for (const key of ['owner/plain.png', "owner/a b!'()*+é,;=&$@.png"]) {
          assert.equal(await text(await reader.get(key)), `bytes of ${key}`);
        }
      } finally {
        await reader.close();
      }
    });

    it("answers a missing object with the store's 404, which is not unavailability", async () => {
      const reader = createObjectReader(options);
      try {
        await assert.rejects(reader.get('owner/missing.png'), (error: unknown) => {
          assert.ok(error instanceof ObjectStoreResponseError);
          assert.equal(error.status, 404);
          assert.equal(error.code, 'NoSuchKey');
          assert.equal(isStoreUnavailable(error), false);
          return true;
        });
      } finally {
        await reader.close();
      }
    });

    // s3rver checks no signatures.
    if (kind === 'minio')
      it('is refused with wrong credentials (the request is really signed)', async () => {
        const reader = createObjectReader({
          ...options,
          credentials: { ...options.credentials, secretAccessKey: 'wrong' },
        });
        try {
          await assert.rejects(reader.get('owner/plain.png'), (error: unknown) => {
            assert.ok(error instanceof ObjectStoreResponseError);
            assert.equal(error.status, 403);
            return true;
          });
        } finally {
          await reader.close();
        }
      });
  });
}

describe('the object reader when the store fails', () => {
  const readerAt = (port: number) =>
    createObjectReader({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      bucket: Bucket,
      forcePathStyle: true,
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
      connectTimeoutMs: 1_000,
      socketTimeoutMs: 1_000,
      maxAttempts: 3,
    });

  it('tries maxAttempts times a store that drops the connection, then fails as unavailable', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const reader = readerAt((server.address() as AddressInfo).port);
    try {
      await assert.rejects(reader.get('owner/plain.png'), (error: unknown) => {
        assert.equal(isStoreUnavailable(error), true, String(error));
        return true;
      });
      assert.equal(connections, 3);
    } finally {
      await reader.close();
      server.close();
    }
  });

  it('fails as unavailable when nothing listens', async () => {
    const reader = readerAt(await freePort());
    try {
      await assert.rejects(reader.get('owner/plain.png'), (error: unknown) => {
        assert.equal((error as { code?: string }).code, 'ECONNREFUSED');
        assert.equal(isStoreUnavailable(error), true);
        return true;
      });
    } finally {
      await reader.close();
    }
  });
});
