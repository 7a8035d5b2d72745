import { Transform, type TransformCallback } from 'node:stream';
import { uploadTooSlow } from './upload-problems.ts';

/**
 * Passes an upload's bytes through and fails it with 408 when a window passes in which the client
 * sent fewer than `minBytesPerSecond` x window bytes: a client trickling bytes would otherwise hold
 * an upload slot (and its memory) until the request timeout. A window that ends with bytes waiting
 * here for the store (S3 is the slow side, not the client) is not held against the client.
 */
export class MinimumTransferRate extends Transform {
  readonly #minBytesPerWindow: number;
  #bytesThisWindow = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(minBytesPerSecond: number, windowMs: number) {
    super();
    this.#minBytesPerWindow = (minBytesPerSecond * windowMs) / 1000;
    this.#timer = setInterval(() => {
      this.#judgeWindow(minBytesPerSecond, windowMs);
    }, windowMs);
    // Never what keeps the process alive, and stopped however the stream ends.
    this.#timer.unref();
    this.once('close', () => {
      clearInterval(this.#timer);
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#bytesThisWindow += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    clearInterval(this.#timer);
    callback();
  }

  #judgeWindow(minBytesPerSecond: number, windowMs: number): void {
    // Bytes waiting here mean the store is not reading them: the client is not the slow side now.
    const storeIsBehind = this.readableLength > 0;
    if (!storeIsBehind && this.#bytesThisWindow < this.#minBytesPerWindow) {
      this.destroy(uploadTooSlow(minBytesPerSecond, windowMs));
      return;
    }
    this.#bytesThisWindow = 0;
  }
}
