import { Readable, Transform, type TransformCallback } from 'node:stream';
import { badRequest, payloadTooLarge, unsupportedMediaType } from '@platform/runtime';
import { fileTypeFromBuffer } from 'file-type';

/** The image formats accepted, identified by their content (magic bytes), never by name or declared type. */
export const acceptedImageTypes: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** Leading bytes given to the detector: file-type's recommended sample, enough to walk PNG chunks to IDAT. */
const sniffBytes = 4_100;

export interface SniffedContent {
  contentType: string;
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
  if (contentType === undefined || !acceptedImageTypes.has(contentType)) {
    await chunks.return?.();
    throw head.length === 0
      ? badRequest('The file is empty.')
      : unsupportedMediaType('Only PNG, JPEG, GIF and WebP images are accepted.');
  }
  return { contentType, content: Readable.from(replay(head, chunks), { objectMode: false }) };
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

/** Passes bytes through and counts them; fails with 413 once more than `maxBytes` have passed. */
export class SizeLimit extends Transform {
  bytes = 0;
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    super();
    this.#maxBytes = maxBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#maxBytes) {
      callback(payloadTooLarge(`Images may be at most ${this.#maxBytes} bytes.`));
      return;
    }
    callback(null, chunk);
  }
}
