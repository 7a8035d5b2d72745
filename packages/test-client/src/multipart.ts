// multipart/form-data bodies written by hand: whole ones as bytes, for the malformed shapes no
// client library produces too, and one-file bodies streamed from any source, for large or slow uploads.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { fixtureImage } from './fixtures.ts';

export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  content: Buffer | string;
}

/** A request body and the Content-Type naming its boundary; the length when it is known up front. */
export interface MultipartBody {
  body: Buffer | Readable;
  contentType: string;
  contentLength?: number;
}

const newBoundary = () => `----platform${randomBytes(8).toString('hex')}`;

function partHead(boundary: string, part: Omit<FormPart, 'content'>): Buffer {
  const filename = part.filename === undefined ? '' : filenameParameter(part.filename);
  const disposition = `form-data; name="${part.name}"${filename}`;
  const type = part.contentType === undefined ? '' : `Content-Type: ${part.contentType}\r\n`;
  return Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`);
}

/** Control characters cannot appear raw in a header: send them as RFC 5987 filename*, as clients do. */
function filenameParameter(filename: string): string {
  const codes = Array.from(filename, (character) => character.charCodeAt(0));
  const hasControlCharacter = codes.some((code) => code < 0x20 || code === 0x7f);
  return hasControlCharacter ? `; filename*=UTF-8''${encodeURIComponent(filename)}` : `; filename="${filename}"`;
}

const closing = (boundary: string) => Buffer.from(`--${boundary}--\r\n`);

/** The parts, in order, as one buffer. */
export function multipart(parts: FormPart[], boundary = newBoundary()): MultipartBody & { body: Buffer } {
  const chunks = parts.flatMap((part) => [partHead(boundary, part), Buffer.from(part.content), Buffer.from('\r\n')]);
  const body = Buffer.concat([...chunks, closing(boundary)]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * One PNG in the field "file", as POST /upload expects, its bytes read from `content` as the body
 * is sent. Give `size` (the file's bytes) to send a Content-Length; without it the body is chunked.
 */
export function streamedImage(
  content: Iterable<Buffer> | AsyncIterable<Buffer>,
  { filename = 'image.png', size }: { filename?: string; size?: number } = {},
): MultipartBody {
  const boundary = newBoundary();
  const head = partHead(boundary, { name: 'file', filename, contentType: 'image/png' });
  const tail = Buffer.concat([Buffer.from('\r\n'), closing(boundary)]);
  const body = Readable.from(
    (async function* () {
      yield head;
      yield* content;
      yield tail;
    })(),
    { objectMode: false },
  );
  const contentLength = size === undefined ? {} : { contentLength: head.length + size + tail.length };
  return { body, contentType: `multipart/form-data; boundary=${boundary}`, ...contentLength };
}

/** The fixture image in the field "file", the walk-through's upload: a buffer, so it can be sent again and again. */
export const fixtureUpload = multipart([
  { name: 'file', filename: 'image.png', contentType: 'image/png', content: fixtureImage },
]);
