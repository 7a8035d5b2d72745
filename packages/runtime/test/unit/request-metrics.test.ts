import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { parseSamples } from '../../../../e2e/support/prometheus-text.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * The request classes the SLOs read: time to first byte (a download's headers, not its body) and, for requests with a
 * body, the commit (the body's last byte to the response's headers), next to the whole duration. The real app on an
 * ephemeral port, read back through its own Prometheus exporter.
 */
describe('request metrics', () => {
  let app: TestApp;

  before(async () => {
    app = await startTestApp({
      service: 'metrics-test',
      logger: pino({ level: 'silent' }, new PassThrough()),
      routes: (routes) => {
        // A download: headers at once, then a body that takes 1.2 s to send.
        routes.get('/download', async (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          for (let chunk = 0; chunk < 4; chunk += 1) {
            res.write(Buffer.alloc(1024));
            await sleep(300);
          }
          res.end();
        });
        // An upload: the body is read, then its commit takes 300 ms before the answer.
        routes.post('/upload', async (req, res) => {
          req.resume();
          await once(req, 'end');
          await sleep(300);
          res.status(201).json({ stored: true });
        });
      },
    });
  });

  after(() => app.close());

  /** The count of a histogram's requests to `route` at or under `le` seconds (`+Inf`: all of them). */
  async function under(metric: string, route: string, le: string): Promise<number> {
    const samples = parseSamples(await (await fetch(app.telemetry.metricsUrl)).text());
    return samples
      .filter((s) => s.name === `${metric}_bucket` && s.labels['http_route'] === route && s.labels['le'] === le)
      .reduce((sum, s) => sum + s.value, 0);
  }

  it('times a download to its first byte, apart from its whole duration; a request without a body has no commit', async () => {
    const response = await fetch(new URL('/download', app.base));
    await response.arrayBuffer();
    await sleep(50); // the response's close, where it is recorded
    assert.equal(await under('http_server_response_time_to_first_byte_seconds', '/download', '0.5'), 1);
    assert.equal(await under('http_server_request_duration_seconds', '/download', '1'), 0, 'the body took 1.2 s');
    assert.equal(await under('http_server_request_duration_seconds', '/download', '+Inf'), 1);
    assert.equal(await under('http_server_request_commit_duration_seconds', '/download', '+Inf'), 0);
  });

  it("times an upload's commit from its body's last byte, however long the body took to arrive", async () => {
    const body = Buffer.alloc(4 * 1024);
    const upload = request(new URL('/upload', app.base), {
      method: 'POST',
      headers: { 'content-length': body.length },
    });
    // The body arrives over 900 ms, in four parts.
    for (let part = 0; part < 4; part += 1) {
      upload.write(body.subarray(part * 1024, (part + 1) * 1024));
      await sleep(300);
    }
    upload.end();
    const [response] = (await once(upload, 'response')) as [NodeJS.ReadableStream & { statusCode: number }];
    assert.equal(response.statusCode, 201);
    response.resume();
    await once(response, 'end');
    await sleep(50);
    const commit = 'http_server_request_commit_duration_seconds';
    assert.equal(await under(commit, '/upload', '0.25'), 0, 'the commit took 300 ms');
    assert.equal(await under(commit, '/upload', '0.5'), 1);
    assert.equal(await under('http_server_request_duration_seconds', '/upload', '1'), 0, 'the whole upload took 1.2 s');
    assert.equal(await under('http_server_response_time_to_first_byte_seconds', '/upload', '1'), 0);
  });
});
