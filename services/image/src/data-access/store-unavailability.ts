import { S3ServiceException } from '@aws-sdk/client-s3';

/** The store answered GetObject with an error status (S3's error `Code`, such as NoSuchKey, when it gave one). */
export class ObjectStoreResponseError extends Error {
  readonly status: number;
  readonly code: string | undefined;

  constructor(status: number, code: string | undefined, key: string) {
    super(`GetObject ${key}: ${status}${code === undefined ? '' : ` ${code}`}`);
    this.name = 'ObjectStoreResponseError';
    this.status = status;
    this.code = code;
  }
}

/** Network failures of the SDK's node:http transport and of undici's (the object reader's). */
const networkErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/**
 * A store that cannot be reached, times out or answers 5xx is unavailable (worth another try, and a
 * 503 to the caller); anything else (a 4xx, a bug, a failing body stream) is not.
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (error instanceof S3ServiceException) return (error.$metadata.httpStatusCode ?? 500) >= 500;
  if (error instanceof ObjectStoreResponseError) return error.status >= 500;
  const { code, name } = error as { code?: unknown; name?: unknown };
  return (typeof code === 'string' && networkErrorCodes.has(code)) || name === 'TimeoutError';
}
