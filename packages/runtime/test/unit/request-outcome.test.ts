import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { pino } from 'pino';
import { parseSamples } from '../../../../e2e/support/prometheus-text.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * How requests that end without a complete response are counted: the real app (tracing, logging,
 * metrics middleware) on an ephemeral port, read back through its own Prometheus exporter, span
 * exporter and log lines. Each route tells the test when its response has closed, which is when
 * the middleware has recorded it.
 */
describe('request outcome', () => {
  const spans = new InMemorySpanExporter();
  const logLines: Array<Record<string, unknown>> = [];
  let app: TestApp;
  let base: URL;
  let closed: Promise<void>;
  let markClosed: () => void;
  let arrived: Promise<void>;
  let markArrived: () => void;

  beforeEach(() => {
    closed = new Promise((resolve) => (markClosed = resolve));
    arrived = new Promise((resolve) => (markArrived = resolve));
  });

  before(async () => {
    const logs = new PassThrough();
    logs.on('data', (line: Buffer) => logLines.push(JSON.parse(line.toString()) as Record<string, unknown>));
    app = await startTestApp({
      service: 'outcome-test',
      logger: pino({ level: 'info' }, logs),
      spanExporter: spans,
      routes: (routes) => {
        routes.use((_req, res, next) => {
          // One listener more than the app's own (a piped download brings it to the default limit).
          res.setMaxListeners(res.getMaxListeners() + 1);
          res.once('close', () => {
            markClosed();
          });
          markArrived();
          next();
        });
        routes.get('/answer', (_req, res) => {
          res.json({ answered: true });
        });
        // An upload stuck on a slow dependency: no answer until the client has gone.
        routes.get('/stuck', async () => {
          await closed;
        });
        // A download whose upstream stream fails after the headers: the handler's error reaches
        // the central error handler, which cuts the connection (problem-responses.ts).
        routes.get('/cut', async (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000' });
          const upstream = new Readable({ read: () => undefined });
          upstream.push(Buffer.alloc(100));
          setTimeout(() => upstream.destroy(new Error('upstream stream failed')), 20);
          await pipeline(upstream, res);
        });
        // A request we drop unanswered, as a deadline or a forced shutdown does.
        routes.get('/dropped', (req) => {
          setTimeout(() => req.socket.destroy(), 20);
        });
        // A download the client leaves mid-body.
        routes.get('/endless', (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.write(Buffer.alloc(100));
        });
      },
    });
    base = app.base;
  });

  after(() => app.close());

  /** What the metrics exporter, the span and the log line say of the last request to `route`. */
  async function recorded(route: string) {
    const samples = parseSamples(await (await fetch(app.telemetry.metricsUrl)).text()).filter(
      (sample) => sample.name === 'http_server_request_duration_seconds_count' && sample.labels['http_route'] === route,
    );
    const span = spans.getFinishedSpans().findLast((finished) => finished.attributes['http.route'] === route);
    const line = logLines.findLast((logged) => logged['route'] === route);
    assert.ok(span, `a span for ${route}`);
    assert.ok(line, `a log line for ${route}`);
    return { samples: samples.map(({ labels, value }) => ({ ...labels, count: value })), span, line };
  }

  /** Sends GET `path` and leaves: once the server has the request, or once the headers are in. */
  async function leave(path: string, when: 'before the answer' | 'mid-body'): Promise<void> {
    const client = request(new URL(path, base));
    client.on('error', () => undefined);
    client.end();
    if (when === 'before the answer') await arrived;
    else {
      const [response] = (await once(client, 'response')) as [Readable];
      response.on('error', () => undefined);
    }
    client.destroy();
    await closed;
  }

  it('records a request answered in full with its status and no error type', async () => {
    const response = await fetch(new URL('/answer', base));
    assert.equal(response.status, 200);
    await response.text();
    await closed;
    const { samples, span, line } = await recorded('/answer');
    assert.deepEqual(samples, [
      { http_request_method: 'GET', http_route: '/answer', http_response_status_code: '200', count: 1 },
    ]);
    assert.equal(span.attributes['error.type'], undefined);
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(line['msg'], 'request completed');
    assert.deepEqual(line['res'], { statusCode: 200 });
    assert.equal(line['error_type'], undefined);
  });

  it('records a request the client abandoned before any answer as 499 client_closed_request, not 200', async () => {
    await leave('/stuck', 'before the answer');
    const { samples, span, line } = await recorded('/stuck');
    assert.deepEqual(samples, [
      {
        http_request_method: 'GET',
        http_route: '/stuck',
        http_response_status_code: '499',
        error_type: 'client_closed_request',
        count: 1,
      },
    ]);
    assert.equal(span.attributes['http.response.status_code'], 499);
    assert.equal(span.attributes['error.type'], 'client_closed_request');
    // The client's choice, not a failure of ours.
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(line['msg'], 'client closed the request');
    assert.deepEqual(line['res'], { statusCode: 499 });
    assert.equal(line['error_type'], 'client_closed_request');
  });

  it('records a download we cut mid-body as response_incomplete with the status sent, an error span and an error log line', async () => {
    const client = request(new URL('/cut', base));
    client.end();
    const [response] = (await once(client, 'response')) as [Readable & { statusCode: number }];
    assert.equal(response.statusCode, 200);
    const [error] = (await once(response, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNRESET');
    await closed;
    const { samples, span, line } = await recorded('/cut');
    assert.deepEqual(samples, [
      {
        http_request_method: 'GET',
        http_route: '/cut',
        http_response_status_code: '200',
        error_type: 'response_incomplete',
        count: 1,
      },
    ]);
    assert.equal(span.attributes['error.type'], 'response_incomplete');
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(line['level'], 50);
    assert.equal(line['msg'], 'response incomplete');
    assert.equal(line['error_type'], 'response_incomplete');
  });

  it('records a request we dropped before any answer as 500 response_incomplete, not 200', async () => {
    const client = request(new URL('/dropped', base));
    client.end();
    const [error] = (await once(client, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNRESET');
    await closed;
    const { samples, span, line } = await recorded('/dropped');
    assert.deepEqual(samples, [
      {
        http_request_method: 'GET',
        http_route: '/dropped',
        http_response_status_code: '500',
        error_type: 'response_incomplete',
        count: 1,
      },
    ]);
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(line['msg'], 'response incomplete');
  });

  it('records a download the client left mid-body as client_closed_request with the status sent', async () => {
    await leave('/endless', 'mid-body');
    const { samples, span, line } = await recorded('/endless');
    assert.deepEqual(samples, [
      {
        http_request_method: 'GET',
        http_route: '/endless',
        http_response_status_code: '200',
        error_type: 'client_closed_request',
        count: 1,
      },
    ]);
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(line['level'], 30);
    assert.equal(line['error_type'], 'client_closed_request');
  });
});
