import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { streamBody } from '../../src/http/stream-body.ts';

/** A sink that keeps what it is given. */
function collector(): { sink: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

/** A body that never ends on its own: a chunk each time it is read. */
const endless = () =>
  new Readable({
    read() {
      this.push(Buffer.alloc(16 * 1024, 1));
    },
  });

describe('streamBody', () => {
  it('delivers every byte and resolves once the destination has finished', async () => {
    const content = Buffer.from('x'.repeat(200_000));
    const { sink, bytes } = collector();
    await streamBody(Readable.from([content.subarray(0, 70_000), content.subarray(70_000)]), sink);
    assert.ok(sink.writableFinished);
    assert.deepEqual(bytes(), content);
  });

  it("rejects with the body's own error and destroys the destination unfinished", { timeout: 5_000 }, async () => {
    const body = new PassThrough();
    const { sink } = collector();
    const streaming = streamBody(body, sink);
    body.write('the first half');
    body.destroy(new Error('upstream reset'));
    await assert.rejects(streaming, /upstream reset/);
    assert.ok(sink.destroyed);
    assert.ok(!sink.writableFinished, 'a truncated body must not look complete');
  });

  it('rejects with a premature close when the client leaves, and destroys the body', { timeout: 5_000 }, async () => {
    const body = endless();
    const outcome = Promise.withResolvers<unknown>();
    const server = createServer((_req, res) => {
      streamBody(body, res).then(() => {
        outcome.resolve('finished');
      }, outcome.resolve);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const client = request({ port: (server.address() as AddressInfo).port, host: '127.0.0.1' });
      client.end();
      const [response] = (await once(client, 'response')) as [IncomingMessage];
      await once(response, 'data');
      client.destroy();
      assert.equal(((await outcome.promise) as { code?: string }).code, 'ERR_STREAM_PREMATURE_CLOSE');
      assert.ok(body.destroyed, 'the source is released once nobody reads it');
    } finally {
      server.close();
    }
  });

  it('creates no AbortController to abort: the cost stream.pipeline has on every call', async (t) => {
    const abort = t.mock.method(AbortController.prototype, 'abort');
    await streamBody(Readable.from([Buffer.from('small')]), collector().sink);
    assert.equal(abort.mock.callCount(), 0);
  });
});
