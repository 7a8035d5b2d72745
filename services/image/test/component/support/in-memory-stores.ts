import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { serviceUnavailable } from '@platform/runtime';
import type { Image, ImageRepository } from '../../../src/data-access/image-repository.ts';
import type { ObjectStore } from '../../../src/data-access/object-store.ts';
import type { ImageStores } from '../../../src/service.ts';

interface StoredObject {
  bytes: Buffer;
  contentType: string;
}

/**
 * The image service's two stores in memory, with switches that make them fail the way S3 and
 * PostgreSQL do: S3 going away in the middle of a streamed upload, the database refusing the row.
 */
export class InMemoryStores implements ImageStores {
  readonly storedObjects = new Map<string, StoredObject>();
  readonly rows = new Map<string, Image>();
  /** Bytes the object store has read from upload bodies, failed ones included. */
  bytesReceived = 0;
  /** Set to fail every upload with a 503 once that many of its bytes have arrived. */
  failUploadsAfterBytes: number | undefined;
  /** Set to make every new row fail with a 503, after its object was written. */
  failNewRows = false;
  readonly #uploads: Array<Promise<unknown>> = [];

  reset(): void {
    this.storedObjects.clear();
    this.rows.clear();
    this.bytesReceived = 0;
    this.failUploadsAfterBytes = undefined;
    this.failNewRows = false;
    this.#uploads.length = 0;
  }

  /** Every upload the object store has started, settled: nothing more will be written for them. */
  async uploadsSettled(): Promise<number> {
    await Promise.allSettled(this.#uploads);
    return this.#uploads.length;
  }

  readonly objects: ObjectStore = {
    put: (key, body, contentType) => {
      const upload = this.#receive(key, body, contentType);
      this.#uploads.push(upload);
      return upload;
    },
    get: (key) => {
      const object = this.storedObjects.get(key);
      if (object === undefined) return Promise.reject(new Error(`no object ${key}`));
      return Promise.resolve(Readable.from([object.bytes]));
    },
    remove: (key) => {
      this.storedObjects.delete(key);
      return Promise.resolve();
    },
    ensureBucket: () => Promise.resolve(),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };

  readonly repository: ImageRepository = {
    create: (image) => {
      if (this.failNewRows) return Promise.reject(serviceUnavailable('The database is unavailable.'));
      const row: Image = { ...image, sizeBytes: BigInt(image.sizeBytes), createdAt: new Date() };
      this.rows.set(image.id, row);
      return Promise.resolve(row);
    },
    createWithinQuota: async (image, quotaBytes) =>
      (await this.repository.usedBytes(image.ownerId)) + image.sizeBytes > quotaBytes
        ? null
        : this.repository.create(image),
    usedBytes: (ownerId) => Promise.resolve(this.#owned(ownerId).reduce((sum, row) => sum + Number(row.sizeBytes), 0)),
    findOwned: (ownerId, filename) =>
      Promise.resolve(this.#owned(ownerId).find((row) => row.filename === filename) ?? null),
    listOwned: (ownerId, limit) => Promise.resolve({ images: this.#owned(ownerId).slice(0, limit) }),
    deleteOwned: (ownerId, filename) => {
      const row = this.#owned(ownerId).find((candidate) => candidate.filename === filename);
      return Promise.resolve(row !== undefined && this.rows.delete(row.id));
    },
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };

  /**
   * Reads the body as S3 would, keeping the object only once all of it has arrived. Any failure
   * is reported as the store's own 503, even one caused by the body breaking (as an S3 client
   * streaming the body to a socket reports a broken body), so the service must tell the two apart.
   */
  async #receive(key: string, body: Readable, contentType: string): Promise<{ etag: string }> {
    const chunks: Buffer[] = [];
    let received = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        this.bytesReceived += chunk.length;
        received += chunk.length;
        chunks.push(chunk);
        if (received > (this.failUploadsAfterBytes ?? Infinity)) throw new Error('S3 went away');
      }
    } catch (error) {
      throw serviceUnavailable('Object storage is unavailable.', error);
    }
    const bytes = Buffer.concat(chunks);
    this.storedObjects.set(key, { bytes, contentType });
    return { etag: `"${createHash('md5').update(bytes).digest('hex')}"` };
  }

  #owned(ownerId: string): Image[] {
    return [...this.rows.values()].filter((row) => row.ownerId === ownerId);
  }
}
