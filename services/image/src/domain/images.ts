import { randomUUID } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import { notFound, type Logger } from '@platform/runtime';
import type { Image, ImageRepository } from '../data-access/image-repository.ts';
import type { ObjectStore } from '../data-access/object-store.ts';
import { storedFilename } from './filenames.ts';
import { SizeLimit, sniffImage } from './image-content.ts';
import { MinimumTransferRate } from './transfer-rate.ts';
import { UploadAdmission, type AdmittedUpload, type UploadAdmissionLimits } from './upload-admission.ts';
import { uploadFailure } from './upload-failure.ts';
import { quotaExceeded } from './upload-problems.ts';

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
  /** What `admitUpload` granted it. */
  admitted: AdmittedUpload;
}

export interface Images {
  /**
   * Decides whether an upload may start, before its body is read: 503 when this process runs all
   * the uploads it has memory for, 429 when the owner runs all it may, 413 quota-exceeded when the
   * owner's images and `declaredBytes` (the least the body holds, when known) exceed the quota.
   * The caller releases the grant once the upload has ended.
   */
  admitUpload: (ownerId: string, declaredBytes: number | undefined) => Promise<AdmittedUpload>;
  /**
   * Stores an upload: the bytes go to S3 first, then the metadata row. The row is the commit point:
   * if it cannot be written the object is deleted, so a failure leaves neither. Rejects with the one
   * failure to report: empty (400) or not an image (415) before anything is stored; then the
   * content's own failure (client gone, malformed, 413, 408 too slow, quota) before S3's (503);
   * then the database's (or the quota, checked again as the row is written).
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

export interface UploadLimits extends UploadAdmissionLimits {
  /** The largest image. */
  maxBytes: number;
  /** The slowest an upload may arrive, over any window of `rateWindowMs`. */
  minBytesPerSecond: number;
  rateWindowMs: number;
}

export interface ImagesDependencies {
  objects: ObjectStore;
  repository: ImageRepository;
  limits: UploadLimits;
  logger: Logger;
}

export function createImages({ objects, repository, limits, logger }: ImagesDependencies): Images {
  const admission = new UploadAdmission(limits, (ownerId) => repository.usedBytes(ownerId));
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
    admitUpload: (ownerId, declaredBytes) => admission.admit(ownerId, declaredBytes),
    store: async ({ ownerId, originalName, content, admitted }) => {
      // Measured from the first byte, so a client trickling its first bytes is cut as well.
      const rate = new MinimumTransferRate(limits.minBytesPerSecond, limits.rateWindowMs);
      const sniffed = await sniffImage(pipeline(content, rate, () => undefined));
      const id = randomUUID();
      const filename = storedFilename(originalName, sniffed.extension, id);
      const objectKey = `${ownerId}/${filename}`;
      const size = new SizeLimit(limits.maxBytes, {
        bytes: admitted.allowanceBytes,
        exceeded: () => quotaExceeded(limits.quotaBytes, limits.quotaBytes - admitted.allowanceBytes),
      });
      const body = pipeline(sniffed.content, size, () => undefined);
      const { etag } = await objects.put(objectKey, body, sniffed.contentType).catch((error: unknown) => {
        throw uploadFailure(body, error);
      });
      try {
        const row = await repository.createWithinQuota(
          { id, filename, ownerId, objectKey, contentType: sniffed.contentType, sizeBytes: size.bytes, etag },
          limits.quotaBytes,
        );
        // Other uploads of the owner (on any replica) were recorded while this one streamed.
        if (row === null) throw quotaExceeded(limits.quotaBytes, await repository.usedBytes(ownerId));
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
