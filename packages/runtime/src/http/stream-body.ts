import { finished, type Readable, type Writable } from 'node:stream';

/**
 * Streams a body into a response with backpressure, with the outcome `stream.pipeline` gives for
 * two streams: resolves once the response has taken the last byte; otherwise rejects with the first
 * error (the body's, the response's, or ERR_STREAM_PREMATURE_CLOSE when the client left first), and
 * both streams are destroyed, so an upstream socket is not held for a client that is gone.
 *
 * Not pipeline itself: it creates an AbortController per call and aborts it when done, and that
 * DOMException's captured stack was the costliest JavaScript of a small download in the api and the
 * image service alike (`npm run bench -- --only gateway --profile`). Sending a 7.8 kB body this way
 * costs 28-65 µs less CPU (`node e2e/bench/read-path.ts`).
 */
export function streamBody(body: Readable, response: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: Error | undefined;
    const fail = (error: Error) => {
      failure ??= error;
      body.destroy();
      response.destroy();
    };
    finished(body, (error) => {
      if (error) fail(error);
    });
    finished(response, (error) => {
      if (error) fail(error);
      if (failure === undefined) resolve();
      else reject(failure);
    });
    body.pipe(response);
  });
}
