import type { Readable } from 'node:stream';

/**
 * Why an upload failed, decided in one place. The upload's own failure (the client went away, the
 * body was malformed or over the size limit) comes first: whatever broke downstream broke because
 * of it. Otherwise it is the failure of the store that was being fed. A body that a store stopped
 * reading because it gave up carries an AbortError: that is the store's failure, not the body's.
 */
export function uploadFailure(body: Readable, storeFailure: unknown): unknown {
  const bodyFailure = body.errored;
  return bodyFailure !== null && bodyFailure.name !== 'AbortError' ? bodyFailure : storeFailure;
}
