import type { Request, RequestHandler } from 'express';
import multer, { MulterError, type StorageEngine } from 'multer';
import { AppError, badRequest, inRequestContext, payloadTooLarge, unsupportedMediaType } from '@platform/runtime';
import type { Images, StoredImage } from '../domain/images.ts';

export const uploadField = 'file';

/** Marks errors raised while storing a file, so they are not mistaken for malformed multipart input. */
class StorageFailure extends Error {
  override name = 'StorageFailure';
}

/**
 * The store in progress for each request. When storing fails (S3 goes away), the aborted file
 * stream makes the parser fail too, often first; the storage failure is the one to report.
 */
const storesInProgress = new WeakMap<Request, Promise<unknown>>();

/** Multer hands each file to this engine, which streams it through the domain (S3, then metadata). */
function imageStorage(images: Images): StorageEngine {
  return {
    _handleFile: (req, file, callback) => {
      // Multipart parsing runs on stream events, outside the request's trace context: re-enter it.
      const stored = inRequestContext(req, () => images.store({ ownerId: (req.user as Express.User).id, originalName: file.originalname, content: file.stream }));
      storesInProgress.set(req, stored);
      stored.then(
        (image) => { callback(null, { size: image.size, stored: image } as Partial<Express.Multer.File>); },
        (error: unknown) => { callback(error instanceof AppError ? error : new StorageFailure('storing the upload failed', { cause: error })); },
      );
    },
    // Multer calls this when the request fails after a file was stored (e.g. a second file follows).
    _removeFile: (req, file, callback) => {
      const { stored } = file as unknown as { stored: StoredImage };
      images.remove((req.user as Express.User).id, stored.filename).then(() => { callback(null); }, callback);
    },
  };
}

/** Part and field limits: a legitimate upload is one file part and nothing else. */
const multipartLimits = { files: 1, fields: 4, parts: 5, fieldSize: 1024, fieldNameSize: 100, headerPairs: 20 };

/**
 * Parses a multipart/form-data upload with exactly one file in the field "file" and stores it.
 * Sets `req.file.stored` to the stored image; every malformed request gets a 4xx problem.
 */
export function uploadImage(images: Images): RequestHandler {
  const parse = multer({ storage: imageStorage(images), limits: multipartLimits }).single(uploadField);
  return (req, res, next) => {
    if (req.is('multipart/form-data') !== 'multipart/form-data') {
      next(unsupportedMediaType(`Send the image as multipart/form-data, in the field "${uploadField}".`));
      return;
    }
    parse(req, res, (error: unknown) => {
      if (error !== undefined && error !== null) {
        const store = storesInProgress.get(req) ?? Promise.resolve();
        store.then(
          () => { next(uploadError(error)); },
          (storeError: unknown) => { next(uploadError(storeError instanceof AppError ? storeError : error)); },
        );
        return;
      }
      next(req.file === undefined ? badRequest(`No file: send the image in the multipart field "${uploadField}".`) : undefined);
    });
  };
}

export const storedImageOf = (req: Request): StoredImage => (req.file as unknown as { stored: StoredImage }).stored;

function uploadError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  if (error instanceof StorageFailure) return error.cause;
  if (error instanceof MulterError) {
    switch (error.code) {
      case 'LIMIT_UNEXPECTED_FILE':
      case 'LIMIT_FILE_COUNT':
        return badRequest(`Send exactly one file, in the multipart field "${uploadField}".`);
      case 'LIMIT_FILE_SIZE':
        return payloadTooLarge('The file is too large.');
      default:
        return badRequest(`The multipart body breaks a limit (${error.message}).`);
    }
  }
  // What is left comes from the multipart parser or the request itself: a truncated body, a missing
  // boundary, malformed part headers, a client that went away.
  return badRequest(`The multipart body is malformed (${(error as Error).message}).`);
}
