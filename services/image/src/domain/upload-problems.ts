import { AppError } from '@platform/runtime';

// The answers upload admission gives. Refusals decided before the body is read close the
// connection instead of reading the body away: reading it is the cost admission exists to avoid.

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
    headers: { 'Retry-After': retryAfterSeconds, ...closeConnection },
  });

export const tooManyConcurrentUploads = (limit: number) =>
  new AppError(429, 'too-many-concurrent-uploads', 'Too many concurrent uploads', {
    detail: `An account may run ${limit} uploads at once; retry once one has finished.`,
    headers: { 'Retry-After': retryAfterSeconds, ...closeConnection },
  });

/**
 * 413, not 409: what does not fit is this request's content (the same answer, at the same points,
 * as the size limit: from Content-Length up front, then while streaming), and clients already treat
 * 413 as "do not send this body again as it is". The type tells it apart from the size limit.
 */
export const quotaExceeded = (quotaBytes: number, usedBytes: number, { beforeReading = false } = {}) =>
  new AppError(413, 'quota-exceeded', 'Storage quota exceeded', {
    detail: `An account may store ${quotaBytes} bytes of images and ${usedBytes} are in use: delete images to make room.`,
    headers: beforeReading ? closeConnection : {},
  });

export const uploadTooSlow = (minBytesPerSecond: number, windowMs: number) =>
  new AppError(408, 'upload-too-slow', 'Upload too slow', {
    detail: `Uploads must arrive at ${minBytesPerSecond} bytes/s or more over any ${windowMs / 1000} s.`,
    headers: closeConnection,
  });
