import type { Readable } from 'node:stream';
import { badRequest, notFound, platformMetrics, streamBody, type Logger } from '@platform/runtime';
import type { Express, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { storedFilenamePattern } from '../domain/filenames.ts';
import type { Images, StoredImage } from '../domain/images.ts';
import { declaredFileBytes, expectMultipart, withUploadedFile } from './uploaded-file.ts';

export interface ImageRoutesDependencies {
  images: Images;
  requireUser: RequestHandler;
  logger: Logger;
}

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.uuid().optional(),
});

/** The public shape of an image's metadata. */
const imageView = ({ id, filename, contentType, size, createdAt }: StoredImage) => ({
  id,
  filename,
  contentType,
  size,
  createdAt,
});

const userId = (req: { user?: Express.User }) => (req.user as Express.User).id;

export function mountImageRoutes(app: Express, { images, requireUser, logger }: ImageRoutesDependencies): void {
  const { imageUploadSize, imageDownloadSize } = platformMetrics();
  /** Names that cannot be stored names are answered 404 without a database round trip. */
  const knownFilename: RequestHandler = (req, _res, next) => {
    next(storedFilenamePattern.test(String(req.params['filename'])) ? undefined : notFound('No such image.'));
  };

  app.post('/images', requireUser, async (req, res) => {
    expectMultipart(req);
    const ownerId = userId(req);
    // Before a byte of the body is read: a refusal is answered at once, and the body read away unused.
    const admitted = await images.admitUpload(ownerId, declaredFileBytes(req));
    let image: StoredImage;
    try {
      image = await withUploadedFile(req, ({ name, content }) =>
        // Released as soon as the store is done with it, not after the rest of a failed body is read away.
        images.store({ ownerId, originalName: name, content, admitted }).finally(admitted.release),
      );
    } finally {
      admitted.release();
    }
    imageUploadSize.add(image.size, { 'image.content_type': image.contentType });
    res.status(201).location(`/images/${image.filename}`).json(imageView(image));
  });

  app.get('/images', requireUser, async (req, res) => {
    const query = listQuery.safeParse(req.query);
    if (!query.success) {
      throw badRequest(
        'The query is invalid.',
        query.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message })),
      );
    }
    const page = await images.list(userId(req), query.data);
    res.json({
      images: page.images.map(imageView),
      ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
    });
  });

  // Express answers HEAD with this handler too; the body is then never fetched.
  app.get('/images/:filename', requireUser, knownFilename, async (req, res) => {
    const image = await images.find(userId(req), String(req.params['filename']));
    res.set({
      'Content-Type': image.contentType,
      'Content-Length': String(image.size),
      ETag: image.etag,
      'Last-Modified': image.createdAt.toUTCString(),
      'Cache-Control': 'private, no-cache',
    });
    if (req.fresh) {
      // A 304 has no body, so it must not announce the length or type of one.
      res.removeHeader('Content-Length');
      res.removeHeader('Content-Type');
      res.status(304).end();
      return;
    }
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await sendStream(res, await images.read(image), logger);
    imageDownloadSize.add(image.size, { 'image.content_type': image.contentType });
  });

  app.delete('/images/:filename', requireUser, knownFilename, async (req, res) => {
    await images.remove(userId(req), String(req.params['filename']));
    res.status(204).end();
  });
}

/** Streams a body to the client; a client that goes away mid-download is not an error of ours. */
async function sendStream(res: Response, body: Readable, logger: Logger): Promise<void> {
  try {
    await streamBody(body, res);
  } catch (error) {
    if (res.writableFinished) return;
    if ((error as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE' && res.destroyed) {
      logger.debug('client closed the connection mid-download');
      return;
    }
    throw error;
  }
}
