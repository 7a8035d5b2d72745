import type { RequestHandler } from 'express';
import { platformMetrics, secondsSince } from '../telemetry/metrics.ts';
import { routeOf } from './route-template.ts';

const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Records http.server.request.duration for every request, labelled by method, route template and
 * status: bounded labels only (unknown methods become _OTHER, unknown paths "unmatched").
 * Recorded when the connection is done with the response, so aborted requests count too.
 */
export function requestMetrics(): RequestHandler {
  const { httpServerDuration } = platformMetrics();
  return (req, res, next) => {
    const start = performance.now();
    res.once('close', () => {
      httpServerDuration.record(secondsSince(start), {
        'http.request.method': knownMethods.has(req.method) ? req.method : '_OTHER',
        'http.route': routeOf(req),
        'http.response.status_code': res.statusCode,
      });
    });
    next();
  };
}
