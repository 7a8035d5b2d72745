// What the tests of large uploads share: generated bodies whose digest is known once sent, and memory read from /proc.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generatedImage, streamedImage, type MultipartBody } from '@platform/test-client';

/** A generated PNG of `size` bytes with its length declared, and the file's digest once all of it is sent. */
export function hashedUpload(size: number): { upload: MultipartBody; digest: Promise<string> } {
  const hash = createHash('sha256');
  const digest = Promise.withResolvers<string>();
  function* hashed() {
    for (const chunk of generatedImage(size)) {
      hash.update(chunk);
      yield chunk;
    }
    digest.resolve(hash.digest('hex'));
  }
  return { upload: streamedImage(hashed(), { filename: 'big.png', size }), digest: digest.promise };
}

/** Resident memory of a process from /proc (Linux): the peak (VmHWM) or the current (VmRSS), in bytes. */
export const residentBytes = (pid: number, field: 'VmHWM' | 'VmRSS') =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
