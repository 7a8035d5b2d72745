import {
  isDatabaseUnavailable,
  pingDatabase,
  type Database,
  type Image,
  type PreparedStatement,
} from '@platform/database';
import { serviceUnavailable } from '@platform/runtime';

export type { Image } from '@platform/database';

export interface NewImage {
  id: string;
  filename: string;
  ownerId: string;
  objectKey: string;
  contentType: string;
  sizeBytes: number;
  etag: string;
}

export interface ImagePage {
  images: Image[];
  /** Pass back to get the next page; absent on the last page. */
  nextCursor?: string;
}

export interface ImageRepository {
  create: (image: NewImage) => Promise<Image>;
  /**
   * Writes the row only if the owner's images, this one included, stay within `quotaBytes`; resolves
   * null if they would not. Concurrent uploads of one owner, on any replica, are checked one after
   * the other (a transaction-scoped advisory lock on the owner), so together they cannot overshoot.
   */
  createWithinQuota: (image: NewImage, quotaBytes: number) => Promise<Image | null>;
  /** The sum of the sizes of the owner's images. */
  usedBytes: (ownerId: string) => Promise<number>;
  /** The image of that name if `ownerId` owns it; others' images are as absent as missing ones. */
  findOwned: (ownerId: string, filename: string) => Promise<Image | null>;
  /** Newest first. */
  listOwned: (ownerId: string, limit: number, cursor?: string) => Promise<ImagePage>;
  /** Deletes the row if `ownerId` owns it; resolves whether it did. */
  deleteOwned: (ownerId: string, filename: string) => Promise<boolean>;
  /** Readiness check: PostgreSQL answers. */
  ping: () => Promise<void>;
  /** Closes the connection pool. */
  close: () => Promise<void>;
}

/**
 * Every download and HEAD asks this first: a prepared statement, not Prisma's findFirst, whose query
 * compiler cost more CPU than the rest of the lookup (packages/database, createDatabase).
 */
const findOwnedStatement: PreparedStatement = {
  name: 'image.findOwned',
  text: `SELECT id, filename, owner_id AS "ownerId", object_key AS "objectKey", content_type AS "contentType",
    size_bytes AS "sizeBytes", etag, created_at AS "createdAt"
    FROM image.images WHERE filename = $1 AND owner_id = $2`,
};

export function createImageRepository(database: Database): ImageRepository {
  const toRow = (image: NewImage) => ({ ...image, sizeBytes: BigInt(image.sizeBytes) });
  const usedBytes = async (ownerId: string, client: Pick<Database, 'image'> = database) =>
    Number((await client.image.aggregate({ where: { ownerId }, _sum: { sizeBytes: true } }))._sum.sizeBytes ?? 0n);
  return {
    create: (image) => database.image.create({ data: toRow(image) }),
    createWithinQuota: (image, quotaBytes) =>
      database
        .$transaction(async (transaction) => {
          await transaction.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${image.ownerId}))`;
          if ((await usedBytes(image.ownerId, transaction)) + image.sizeBytes > quotaBytes) return null;
          return transaction.image.create({ data: toRow(image) });
        })
        .catch((error: unknown) => {
          // Opening the transaction is not one of the client's traced operations, which make this 503 themselves.
          throw isDatabaseUnavailable(error) ? serviceUnavailable('The database is unavailable.', error) : error;
        }),
    usedBytes: (ownerId) => usedBytes(ownerId),
    findOwned: async (ownerId, filename) => {
      const [row] = await database.$queryPrepared<Omit<Image, 'sizeBytes'> & { sizeBytes: string }>(
        findOwnedStatement,
        [filename, ownerId],
      );
      return row === undefined ? null : { ...row, sizeBytes: BigInt(row.sizeBytes) };
    },
    listOwned: async (ownerId, limit, cursor) => {
      const images = await database.image.findMany({
        where: { ownerId },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
        ...(cursor === undefined ? {} : { cursor: { id: cursor }, skip: 0 }),
      });
      const page = images.slice(0, limit);
      const next = images[limit];
      return next === undefined ? { images: page } : { images: page, nextCursor: next.id };
    },
    deleteOwned: async (ownerId, filename) =>
      (await database.image.deleteMany({ where: { filename, ownerId } })).count > 0,
    ping: () => pingDatabase(database),
    close: () => database.$disconnect(),
  };
}
