import { randomUUID } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import { notFound, type Logger } from '@platform/runtime';
import type { Image, ImageRepository } from '../data-access/image-repository.ts';
import type { ObjectStore } from '../data-access/object-store.ts';
import { storedFilename } from './filenames.ts';
import { SizeLimit, sniffImage } from './image-content.ts';
import { uploadFailure } from './upload-failure.ts';

export interface StoredImage {
  id: string;
  filename: string;
  objectKey: string;
  contentType: string;
  size: number;
  etag: string;
  createdAt: Date;
}

export interface NewUpload {
  ownerId: string;
  originalName: string;
  content: Readable;
}

export interface Images {
  /**
   * Stores an upload: the bytes go to S3 first, then the metadata row. The row is the commit point:
   * if it cannot be written the object is deleted, so a failure leaves neither. Rejects with the one
   * failure to report: empty (400) or not an image (415) before anything is stored; then the
   * content's own failure (client gone, malformed, 413) before S3's (503); then the database's.
   */
  store: (upload: NewUpload) => Promise<StoredImage>;
  /** The owner's image of that name; 404 if it is missing or someone else's. */
  find: (ownerId: string, filename: string) => Promise<StoredImage>;
  /** The bytes of an image found with `find`. */
  read: (image: StoredImage) => Promise<Readable>;
  list: (
    ownerId: string,
    page: { limit: number; cursor?: string | undefined },
  ) => Promise<{ images: StoredImage[]; nextCursor?: string }>;
  /** Deletes the owner's image (row first, so it vanishes at once); 404 if absent. */
  remove: (ownerId: string, filename: string) => Promise<void>;
}

export interface ImagesDependencies {
  objects: ObjectStore;
  repository: ImageRepository;
  maxBytes: number;
  logger: Logger;
}

export function createImages({ objects, repository, maxBytes, logger }: ImagesDependencies): Images {
  const removeObject = async (objectKey: string) => {
    try {
      await objects.remove(objectKey);
    } catch (error) {
      logger.error({ err: error, objectKey }, 'could not delete an object with no metadata row: delete it by hand');
    }
  };

  const find = async (ownerId: string, filename: string) => {
    const image = await repository.findOwned(ownerId, filename);
    if (image === null) throw notFound('No such image.');
    return toStoredImage(image);
  };

  return {
    store: async ({ ownerId, originalName, content }) => {
      const sniffed = await sniffImage(content);
      const id = randomUUID();
      const filename = storedFilename(originalName, id);
      const objectKey = `${ownerId}/${filename}`;
      const size = new SizeLimit(maxBytes);
      const body = pipeline(sniffed.content, size, () => undefined);
      const { etag } = await objects.put(objectKey, body, sniffed.contentType).catch((error: unknown) => {
        throw uploadFailure(body, error);
      });
      try {
        const row = await repository.create({
          id,
          filename,
          ownerId,
          objectKey,
          contentType: sniffed.contentType,
          sizeBytes: size.bytes,
          etag,
        });
        return toStoredImage(row);
      } catch (error) {
        await removeObject(objectKey);
        throw error;
      }
    },
    find,
    read: (image) => objects.get(image.objectKey),
    list: async (ownerId, { limit, cursor }) => {
      const page = await repository.listOwned(ownerId, limit, cursor);
      return { ...page, images: page.images.map(toStoredImage) };
    },
    remove: async (ownerId, filename) => {
      const image = await find(ownerId, filename);
      if (!(await repository.deleteOwned(ownerId, filename))) throw notFound('No such image.');
      await removeObject(image.objectKey);
    },
  };
}

function toStoredImage(row: Image): StoredImage {
  return {
    id: row.id,
    filename: row.filename,
    objectKey: row.objectKey,
    contentType: row.contentType,
    size: Number(row.sizeBytes),
    etag: row.etag,
    createdAt: row.createdAt,
  };
}
