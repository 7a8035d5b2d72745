import { Readable, Transform, type TransformCallback } from 'node:stream';
import { badRequest, payloadTooLarge, unsupportedMediaType } from '@platform/runtime';
import { fileTypeFromBuffer } from 'file-type';

/**
 * The image formats accepted, identified by their content (magic bytes), never by name or declared
 * type, with the extension a stored image of that format gets.
 */
export const acceptedImageTypes: ReadonlyMap<string, string> = new Map([
  ['image/png', 'png'],
  ['image/jpeg', 'jpg'],
  ['image/gif', 'gif'],
  ['image/webp', 'webp'],
]);

/** Leading bytes given to the detector: file-type's recommended sample, enough to walk PNG chunks to IDAT. */
const sniffBytes = 4_100;

export interface SniffedContent {
  contentType: string;
  /** The file extension of that type (without the dot). */
  extension: string;
  /** The complete content, first bytes included. */
  content: Readable;
}

/**
 * Reads the first bytes of `source` to identify the image format, then hands back a stream of the
 * whole content. Rejects empty content (400) and anything that is not an accepted image (415).
 */
export async function sniffImage(source: Readable): Promise<SniffedContent> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head = await readHead(chunks, sniffBytes);
  const contentType = head.length === 0 ? undefined : (await fileTypeFromBuffer(head))?.mime;
  const extension = contentType === undefined ? undefined : acceptedImageTypes.get(contentType);
  if (contentType === undefined || extension === undefined) {
    await chunks.return?.();
    throw head.length === 0
      ? badRequest('The file is empty.')
      : unsupportedMediaType('Only PNG, JPEG, GIF and WebP images are accepted.');
  }
  return { contentType, extension, content: Readable.from(replay(head, chunks), { objectMode: false }) };
}

async function readHead(chunks: AsyncIterator<Buffer>, size: number): Promise<Buffer> {
  const head: Buffer[] = [];
  let length = 0;
  while (length < size) {
    const next = await chunks.next();
    if (next.done === true) break;
    head.push(next.value);
    length += next.value.length;
  }
  return Buffer.concat(head);
}

async function* replay(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield head;
    for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
  } finally {
    await rest.return?.();
  }
}

/** A second bound on the bytes that pass, with the failure to report past it (a storage quota's room). */
export interface ByteAllowance {
  bytes: number;
  exceeded: () => Error;
}

/**
 * Passes bytes through and counts them; fails with 413 once more than `maxBytes` have passed, or
 * with the allowance's own failure once more than it allows have: a declared length that was a lie
 * is caught here.
 */
export class SizeLimit extends Transform {
  bytes = 0;
  readonly #maxBytes: number;
  readonly #allowance: ByteAllowance | undefined;

  constructor(maxBytes: number, allowance?: ByteAllowance) {
    super();
    this.#maxBytes = maxBytes;
    this.#allowance = allowance;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#maxBytes) {
      callback(payloadTooLarge(`Images may be at most ${this.#maxBytes} bytes.`));
      return;
    }
    if (this.#allowance !== undefined && this.bytes > this.#allowance.bytes) {
      callback(this.#allowance.exceeded());
      return;
    }
    callback(null, chunk);
  }
}
