import type { IncomingMessage } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { failedOnOurSide, requestOutcome } from './request-outcome.ts';
import { routeOf } from './route-template.ts';

const spans = new WeakMap<IncomingMessage, Span>();

/** The server span of a request, for log correlation. */
export const spanOf = (req: IncomingMessage): Span | undefined => spans.get(req);

/**
 * One SERVER span per request, continuing the caller's trace (W3C traceparent), named after the
 * route template once routing is done, and the active context for everything the request does.
 * A 5xx or a response we cut is an ERROR span; a client that left is recorded, not an error of ours.
 */
export function requestTracing(service: string): RequestHandler {
  const tracer = trace.getTracer(service);
  return (req, res, next) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } },
      parent,
    );
    const active = trace.setSpan(parent, span);
    spans.set(req, span);
    res.once('close', () => {
      const route = routeOf(req);
      span.updateName(`${req.method} ${route}`);
      const outcome = requestOutcome(req, res);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': outcome.status });
      if (outcome.errorType !== undefined) span.setAttribute('error.type', outcome.errorType);
      if (failedOnOurSide(outcome)) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(active, next);
  };
}
