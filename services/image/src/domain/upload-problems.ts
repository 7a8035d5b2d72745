import { AppError } from '@platform/runtime';

// The answers upload admission gives. A refusal decided before the body is read is answered at
// once; the server then reads the unread body away (discarding it, no memory held), which lets a
// client that stops sending on an early answer (the api's undici does) get it: closing the
// connection with the body unread would reset it, and the answer could be lost on the way.

/** Seconds a refused client should wait: an upload slot frees when an upload ends, typically seconds. */
const retryAfterSeconds = '5';

const closeConnection = { Connection: 'close' };

/** Whether the answer to this failure closes the connection, leaving the rest of the body unread. */
export const closesConnection = (error: unknown): boolean =>
  error instanceof AppError && error.headers['Connection'] === 'close';

/** This process runs as many uploads as its memory allows. */
export const uploadCapacityReached = () =>
  new AppError(503, 'upload-capacity-reached', 'Upload capacity reached', {
    detail: 'The image service is taking as many uploads as it can; retry after the time in Retry-After.',
    headers: { 'Retry-After': retryAfterSeconds },
  });

export const tooManyConcurrentUploads = (limit: number) =>
  new AppError(429, 'too-many-concurrent-uploads', 'Too many concurrent uploads', {
    detail: `An account may run ${limit} uploads at once; retry once one has finished.`,
    headers: { 'Retry-After': retryAfterSeconds },
  });

/**
 * 413, not 409: what does not fit is this request's content (the same answer, at the same points,
 * as the size limit: from Content-Length up front, then while streaming), and clients already treat
 * 413 as "do not send this body again as it is". The type tells it apart from the size limit.
 */
export const quotaExceeded = (quotaBytes: number, usedBytes: number) =>
  new AppError(413, 'quota-exceeded', 'Storage quota exceeded', {
    detail: `An account may store ${quotaBytes} bytes of images and ${usedBytes} are in use: delete images to make room.`,
  });

/** Closes the connection: reading the rest of a trickling body away would take as long as the upload it was cut from. */
export const uploadTooSlow = (minBytesPerSecond: number, windowMs: number) =>
  new AppError(408, 'upload-too-slow', 'Upload too slow', {
    detail: `Uploads must arrive at ${minBytesPerSecond} bytes/s or more over any ${windowMs / 1000} s.`,
    headers: closeConnection,
  });
