import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const png = readFileSync(new URL('../../../../../e2e/fixtures/image.png', import.meta.url));

/** A PNG of about `size` bytes: a real PNG's first chunks, then random bytes (no one decodes it). */
export const largePng = (size: number) => Buffer.concat([png.subarray(0, 41), randomBytes(size - 41)]);

export interface FormPart {
  field: string;
  filename?: string;
  content: Buffer;
}

export interface MultipartBody {
  contentType: string;
  /** A part's boundary and headers: what comes before its bytes. */
  head: (part: Omit<FormPart, 'content'>) => Buffer;
  body: (parts: FormPart[]) => Buffer;
}

/** multipart/form-data written by hand, so tests can also cut it short or send it slowly. */
export function multipart(boundary = `----component${randomBytes(6).toString('hex')}`): MultipartBody {
  const head = ({ field, filename }: Omit<FormPart, 'content'>) => {
    const disposition = `form-data; name="${field}"${filename === undefined ? '' : `; filename="${filename}"`}`;
    return Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n`);
  };
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    head,
    body: (parts) =>
      Buffer.concat([
        ...parts.flatMap((part) => [head(part), part.content, Buffer.from('\r\n')]),
        Buffer.from(`--${boundary}--\r\n`),
      ]),
  };
}
