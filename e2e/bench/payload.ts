// Upload bodies of any size, generated as they are read: a real PNG signature and header chunk (the
// image service sniffs content), then pseudo-random padding. Nothing the size of the file is held.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';

export const mebibyte = 1024 * 1024;

/** The PNG signature and IHDR chunk of the fixture, and the next chunk's header: enough to sniff. */
const pngHead = readFileSync(new URL('../fixtures/image.png', import.meta.url)).subarray(0, 41);
const block = randomBytes(mebibyte);

function* fileChunks(size: number): Generator<Buffer> {
  yield pngHead;
  for (let left = size - pngHead.length; left > 0; left -= block.length) yield block.subarray(0, Math.min(block.length, left));
}

/** The image file itself, `size` bytes (at least the 41-byte PNG head). */
export function imageFile(size: number): Readable {
  if (size < pngHead.length) throw new Error(`an image file needs at least ${pngHead.length} bytes`);
  return Readable.from(fileChunks(size), { objectMode: false });
}

export interface MultipartUpload {
  body: Readable;
  contentType: string;
  contentLength: number;
}

/** The same file as a multipart/form-data body with one part, "file", as POST /upload expects. */
export function multipartImage(size: number, filename = 'bench.png'): MultipartUpload {
  const boundary = `----platform-bench-${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Readable.from(
    (function* () {
      yield head;
      yield* fileChunks(size);
      yield tail;
    })(),
    { objectMode: false },
  );
  return { body, contentType: `multipart/form-data; boundary=${boundary}`, contentLength: head.length + size + tail.length };
}
