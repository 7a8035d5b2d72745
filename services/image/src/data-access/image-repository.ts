import { pingDatabase, type Database, type Image } from '@platform/database';

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

export function createImageRepository(database: Database): ImageRepository {
  return {
    create: (image) => database.image.create({ data: { ...image, sizeBytes: BigInt(image.sizeBytes) } }),
    findOwned: (ownerId, filename) => database.image.findFirst({ where: { filename, ownerId } }),
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
