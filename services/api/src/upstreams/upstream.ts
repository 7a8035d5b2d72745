import { finished, PassThrough, type Readable } from 'node:stream';
import {
  inSpan,
  platformMetrics,
  secondsSince,
  serviceUnavailable,
  SpanKind,
  withTraceHeaders,
} from '@platform/runtime';
import pRetry from 'p-retry';
import { Pool, type Dispatcher } from 'undici';
import type { ApiConfig } from '../config.ts';

export interface UpstreamRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'DELETE';
  path: string;
  headers: Record<string, string | undefined>;
  body?: string | Readable;
}

export interface UpstreamResponse {
  /** The request's method: the answer to a HEAD has headers only, even when it is a problem. */
  method: UpstreamRequest['method'];
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  /** A stream with .json()/.text() helpers; consume or dump it. */
  body: Dispatcher.ResponseData['body'];
}

export interface Upstream {
  request: (request: UpstreamRequest) => Promise<UpstreamResponse>;
  close: () => Promise<void>;
}

/**
 * A keep-alive connection pool to one internal service, with every wait bounded. A service that
 * cannot be reached or does not answer in time becomes a 503 naming it. Only reads (GET, HEAD)
 * that failed to connect are retried, a bounded number of times with jittered backoff (a pod
 * restarting, a stale keep-alive socket); uploads are streams that cannot be replayed, and a
 * write whose answer was lost is for the client to retry.
 *
 * A `dispatcher` handed in (undici's MockAgent, in tests) replaces the pool; it belongs to whoever
 * handed it in, who closes it. `connections` caps the pool (UPSTREAM_CONNECTIONS unless given).
 */
export function createUpstream(
  name: string,
  baseUrl: string,
  config: ApiConfig,
  dispatcher?: Dispatcher,
  connections = config.UPSTREAM_CONNECTIONS,
): Upstream {
  const pool =
    dispatcher ??
    new Pool(baseUrl, {
      connections,
      connect: { timeout: config.UPSTREAM_CONNECT_TIMEOUT_MS },
      headersTimeout: config.UPSTREAM_HEADERS_TIMEOUT_MS,
      bodyTimeout: config.UPSTREAM_BODY_TIMEOUT_MS,
    });
  const { httpClientDuration } = platformMetrics();
  return {
    request: ({ method, path, headers, body }) =>
      inSpan(
        'api',
        `${method} ${name}`,
        SpanKind.CLIENT,
        { 'http.request.method': method, 'server.address': name },
        async (span) => {
          const start = performance.now();
          const attributes = { 'http.request.method': method, 'server.address': name };
          try {
            // Reads are the only requests retried, and they have no body: it is detached once.
            const options = {
              origin: baseUrl,
              method,
              path,
              headers: withTraceHeaders(definedOnly(headers)),
              body: detachable(body) ?? null,
            };
            const send = () => pool.request(options);
            const response = retriable.has(method)
              ? await pRetry(send, {
                  retries: config.UPSTREAM_READ_RETRIES,
                  minTimeout: 25,
                  maxTimeout: 250,
                  randomize: true,
                  shouldRetry: ({ error }) => isConnectFailure(error),
                })
              : await send();
            httpClientDuration.record(secondsSince(start), {
              ...attributes,
              'http.response.status_code': response.statusCode,
            });
            span.setAttribute('http.response.status_code', response.statusCode);
            return { method, status: response.statusCode, headers: response.headers, body: response.body };
          } catch (error) {
            const clientGone = isClientGone(body);
            httpClientDuration.record(secondsSince(start), {
              ...attributes,
              'error.type': clientGone ? 'client_aborted' : ((error as { code?: string }).code ?? 'unavailable'),
            });
            if (clientGone) throw error;
            throw serviceUnavailable(`The ${name} service is unavailable.`, error);
          }
        },
      ),
    close: () => (dispatcher === undefined ? pool.close() : Promise.resolve()),
  };
}

/** The entries that have a value: headers and query parameters leave the others out. */
export const definedOnly = (entries: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(entries).filter((entry): entry is [string, string] => entry[1] !== undefined));

const retriable: ReadonlySet<UpstreamRequest['method']> = new Set(['GET', 'HEAD']);

/** Failures before the request reached the service: safe to try again. */
const connectFailureCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);
const isConnectFailure = (error: unknown) => connectFailureCodes.has(String((error as { code?: unknown }).code));

/**
 * undici destroys a stream body when the upstream fails, and destroying the client's request
 * destroys its socket: the 503 could then never be sent. Hand undici a pass-through instead.
 */
function detachable(body: UpstreamRequest['body']): UpstreamRequest['body'] {
  if (typeof body !== 'object') return body;
  const relay = body.pipe(new PassThrough());
  // The other way round, a client that goes away must still fail the upstream request.
  finished(body, (error) => {
    if (error !== undefined && error !== null) relay.destroy(error);
  });
  return relay;
}

/** When the client's own upload stream broke, the upstream is not to blame. */
function isClientGone(body: UpstreamRequest['body']): boolean {
  // A request body that was read to its end is destroyed too (autoDestroy): that is not a client leaving.
  return typeof body === 'object' && (body.errored !== null || (body.destroyed && !body.readableEnded));
}
