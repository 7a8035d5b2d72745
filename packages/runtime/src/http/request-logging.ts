import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger.ts';
import { failedOnOurSide, requestOutcome, type RequestErrorType } from './request-outcome.ts';
import { spanOf } from './request-tracing.ts';
import { routeOf } from './route-template.ts';

const requestIdHeader = 'x-request-id';

/** A caller's request id is kept only if it is short and plain, so it cannot forge log content. */
const acceptableRequestId = /^[\w.:-]{1,128}$/;

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers[requestIdHeader];
  const id = typeof incoming === 'string' && acceptableRequestId.test(incoming) ? incoming : randomUUID();
  res.setHeader(requestIdHeader, id);
  return id;
}

/** The id given to this request (the caller's X-Request-Id if acceptable), for logs and upstream calls. */
export const requestIdOf = (req: IncomingMessage): string => (typeof req.id === 'string' ? req.id : randomUUID());

/** The trace the request belongs to, so a log line leads to its trace and back. */
function traceFields(req: IncomingMessage): { trace_id?: string; span_id?: string } {
  const span = spanOf(req)?.spanContext();
  return span === undefined ? {} : { trace_id: span.traceId, span_id: span.spanId };
}

/** What the request line says of a request that did not end with a complete response. */
const unfinishedMessages: Record<RequestErrorType, string> = {
  client_closed_request: 'client closed the request',
  response_incomplete: 'response incomplete',
};

/** The outcome's error type, if any, for the request line (`error_type`, as the metric's label). */
function outcomeFields(req: IncomingMessage, res: ServerResponse): { error_type?: RequestErrorType } {
  const { errorType } = requestOutcome(req, res);
  return errorType === undefined ? {} : { error_type: errorType };
}

/**
 * One log line per request: id, trace id, method, route, status, duration, and for a request that did
 * not end with a complete response, why (its outcome, request-outcome.ts). Health probes stay quiet.
 */
export function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: requestId,
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    customLogLevel: (req, res, error) =>
      error !== undefined || failedOnOurSide(requestOutcome(req, res)) ? 'error' : 'info',
    customSuccessMessage: (req, res) => {
      const { errorType } = requestOutcome(req, res);
      return errorType === undefined ? 'request completed' : unfinishedMessages[errorType];
    },
    customErrorMessage: () => 'request failed',
    // The route is known only once routing is done, so it is added to the completion line.
    customSuccessObject: (req, res, line: object) => ({
      ...line,
      route: routeOf(req),
      ...outcomeFields(req, res),
      ...traceFields(req),
    }),
    customErrorObject: (req, res, _error, line: object) => ({
      ...line,
      err: undefined,
      route: routeOf(req),
      ...outcomeFields(req, res),
      ...traceFields(req),
    }),
    serializers: {
      // The client's address as the trusted proxy hops report it (Express's req.ip, TRUST_PROXY), not the last hop's.
      req: (req: { id: unknown; method: unknown; url?: string; raw?: { ip?: unknown } }) => ({
        id: req.id,
        method: req.method,
        path: req.url?.split('?')[0],
        client: req.raw?.ip,
      }),
      // The status the outcome records (499 for a client that left before any), not Node's default 200.
      res: (res: { raw: ServerResponse }) => ({ statusCode: requestOutcome(res.raw.req, res.raw).status }),
    },
  });
}
