import type { RequestHandler } from 'express';
import { platformMetrics, secondsSince } from '../telemetry/metrics.ts';
import { requestOutcome } from './request-outcome.ts';
import { routeOf } from './route-template.ts';

const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Records http.server.request.duration for every request, labelled by method, route template and
 * status, plus error.type when the response did not complete: bounded labels only (unknown methods
 * become _OTHER, unknown paths "unmatched"). Recorded when the connection is done with the response,
 * so aborted requests count too, as their outcome says (request-outcome.ts), never as a 200.
 */
export function requestMetrics(): RequestHandler {
  const { httpServerDuration } = platformMetrics();
  return (req, res, next) => {
    const start = performance.now();
    res.once('close', () => {
      const { status, errorType } = requestOutcome(req, res);
      httpServerDuration.record(secondsSince(start), {
        'http.request.method': knownMethods.has(req.method) ? req.method : '_OTHER',
        'http.route': routeOf(req),
        'http.response.status_code': status,
        ...(errorType === undefined ? {} : { 'error.type': errorType }),
      });
    });
    next();
  };
}
