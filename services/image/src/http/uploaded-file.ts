import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { AppError, badRequest, unsupportedMediaType } from '@platform/runtime';
import busboy, { type Busboy } from 'busboy';
import type { Request } from 'express';
import { closesConnection } from '../domain/upload-problems.ts';

const uploadField = 'file';

/** A legitimate upload is one file part and at most a few small fields. */
const limits = { files: 1, fields: 4, parts: 5, fieldSize: 1024, fieldNameSize: 100 };

export interface UploadedFile {
  /** The file name the client sent, as it sent it: not yet safe to use. */
  name: string;
  /**
   * The file's bytes as they arrive. The stream ends only once the rest of the body has been read
   * and found well-formed, so nothing can be stored from a request that turns out to be bad; it
   * fails with a 400 problem if the body is malformed or the client goes away.
   */
  content: Readable;
}

/** Headroom for the multipart framing around the file: boundaries, part headers, the few small fields. */
const framingAllowanceBytes = 64 * 1024;

/** Rejects with 415 a request that is not multipart/form-data; reads nothing. */
export function expectMultipart(req: Request): void {
  if (req.is('multipart/form-data') !== 'multipart/form-data') {
    throw unsupportedMediaType(`Send the image as multipart/form-data, in the field "${uploadField}".`);
  }
}

/**
 * The least the file holds, from the body's Content-Length (all of it but the framing allowance);
 * undefined for a body sent without one (chunked).
 */
export function declaredFileBytes(req: Request): number | undefined {
  const declared = req.headers['content-length'];
  return declared === undefined ? undefined : Math.max(0, Number(declared) - framingAllowanceBytes);
}

/**
 * Reads a multipart/form-data request holding one file in the field "file", and resolves with
 * what `use` makes of it while the body is still arriving. A request with no usable file rejects
 * with a 4xx problem; a rejection of `use` is passed on as it is. Either way the rest of the body
 * is read away first, so the client gets the answer rather than a broken connection; except after
 * a failure whose answer closes the connection (an upload cut for being too slow: reading the rest
 * of its body away would take as long as the upload it was cut from).
 */
export async function withUploadedFile<T>(req: Request, use: (file: UploadedFile) => Promise<T>): Promise<T> {
  expectMultipart(req);
  let parser: Busboy;
  try {
    // busboy reports the parts and field size limits when they are reached, not exceeded.
    const reportedLimits = { ...limits, parts: limits.parts + 1, fieldSize: limits.fieldSize + 1 };
    parser = busboy({ headers: req.headers, limits: reportedLimits });
  } catch (error) {
    await discardBody(req);
    throw malformed(error);
  }
  try {
    return await use(await fileOf(req, parser));
  } catch (error) {
    req.unpipe(parser);
    parser.destroy();
    if (!closesConnection(error)) await discardBody(req);
    throw error;
  }
}

/** Feeds the request to the parser; resolves when the file part begins. */
function fileOf(req: Request, parser: Busboy): Promise<UploadedFile> {
  const file = Promise.withResolvers<UploadedFile>();
  const restOfForm = Promise.withResolvers<undefined>();
  // Awaited only once the file has been read: the failure must not count as unhandled before that.
  restOfForm.promise.catch(() => undefined);
  const refuse = (problem: AppError) => {
    parser.destroy(problem);
  };

  parser.on('file', (field, stream, { filename }) => {
    // Its failures reach the reader through the stream; this only keeps one that comes before the
    // first read from being an unhandled 'error' event.
    stream.on('error', () => undefined);
    if (filename === undefined) {
      // A part with a binary type but no file name: not a file, as browsers send files.
      stream.resume();
      return;
    }
    if (field !== uploadField) {
      refuse(exactlyOneFile());
      return;
    }
    const content = Readable.from(bytesOf(stream, restOfForm.promise), { objectMode: false });
    file.resolve({ name: decodeFormDataEscapes(filename), content });
  });
  parser.on('field', (name, _value, { valueTruncated }) => {
    if (name.length > limits.fieldNameSize) refuse(overLimit('Field name too long'));
    else if (valueTruncated) refuse(overLimit('Field value too long'));
  });
  parser.on('filesLimit', () => {
    refuse(exactlyOneFile());
  });
  parser.on('fieldsLimit', () => {
    refuse(overLimit('Too many fields'));
  });
  parser.on('partsLimit', () => {
    refuse(overLimit('Too many parts'));
  });
  parser.on('error', (error: unknown) => {
    const problem = error instanceof AppError ? error : malformed(error);
    file.reject(problem);
    restOfForm.reject(problem);
    // Some parse errors are only reported; stop reading the form at the first.
    parser.destroy(problem);
  });
  parser.on('close', () => {
    file.reject(badRequest(`No file: send the image in the multipart field "${uploadField}".`));
    restOfForm.resolve(undefined);
  });
  req.on('close', () => {
    if (!req.readableEnded) refuse(badRequest('The client closed the connection before the upload was complete.'));
  });
  req.pipe(parser);
  return file.promise;
}

/** The file part's bytes, then a wait for the rest of the form: they end only if the whole body is well-formed. */
async function* bytesOf(file: Readable, restOfForm: Promise<undefined>): AsyncGenerator<Buffer> {
  try {
    yield* file as AsyncIterable<Buffer>;
  } catch (error) {
    // The parser fails the file with its own error first: report the problem it maps to.
    throw error instanceof AppError ? error : malformed(error);
  }
  await restOfForm;
}

/** Reads the rest of the body away, until it ends or the client goes. */
async function discardBody(req: Request): Promise<void> {
  req.resume();
  await finished(req).catch(() => undefined);
}

/**
 * Browsers escape line feeds, carriage returns and double quotes in form-data file names as %0A,
 * %0D and %22 (WHATWG HTML); only those, so a bare "%" in a name stays as it is.
 */
function decodeFormDataEscapes(name: string): string {
  return name.replace(/%0A|%0D|%22/gi, (escape) => formDataEscapes[escape.toUpperCase()] ?? escape);
}

const formDataEscapes: Readonly<Record<string, string>> = { '%0A': '\n', '%0D': '\r', '%22': '"' };

const exactlyOneFile = () => badRequest(`Send exactly one file, in the multipart field "${uploadField}".`);

const overLimit = (limit: string) => badRequest(`The multipart body breaks a limit (${limit}).`);

/** A truncated body, a missing boundary, malformed part headers. */
const malformed = (error: unknown) =>
  badRequest(`The multipart body is malformed (${error instanceof Error ? error.message : String(error)}).`);
