import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import onHeaders from 'on-headers';
import { platformMetrics } from '../telemetry/metrics.ts';
import { requestOutcome } from './request-outcome.ts';
import { routeOf } from './route-template.ts';

const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** A request that declares a body: a Content-Length above zero, or a chunked one. */
const carriesBody = (req: IncomingMessage): boolean =>
  Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;

const secondsBetween = (from: number, to: number): number => (to - from) / 1_000;

/**
 * Records, for every request, labelled by method, route template and status, plus error.type when the response did
 * not complete (bounded labels only: unknown methods become _OTHER, unknown paths "unmatched"):
 *   http.server.request.duration                 arrival to the end of the response
 *   http.server.response.time_to_first_byte      arrival to the response's headers (a download's latency class)
 *   http.server.request.commit.duration          the body's last byte to the response's headers (an upload's commit),
 *                                                for requests with a body whose last byte arrived
 * A response that never sent headers ends both at its end. Recorded when the connection is done with the response, so
 * aborted requests count too, as their outcome says (request-outcome.ts), never as a 200.
 */
export function requestMetrics(): RequestHandler {
  const { httpServerDuration, httpServerTimeToFirstByte, httpServerCommitDuration } = platformMetrics();
  return (req, res, next) => {
    const start = performance.now();
    let firstByte: number | undefined;
    let bodyEnd: number | undefined;
    onHeaders(res, () => {
      firstByte = performance.now();
    });
    if (carriesBody(req)) {
      req.once('end', () => {
        bodyEnd = performance.now();
      });
    }
    res.once('close', () => {
      const end = performance.now();
      const { status, errorType } = requestOutcome(req, res);
      const attributes = {
        'http.request.method': knownMethods.has(req.method) ? req.method : '_OTHER',
        'http.route': routeOf(req),
        'http.response.status_code': status,
        ...(errorType === undefined ? {} : { 'error.type': errorType }),
      };
      httpServerDuration.record(secondsBetween(start, end), attributes);
      httpServerTimeToFirstByte.record(secondsBetween(start, firstByte ?? end), attributes);
      if (bodyEnd !== undefined) httpServerCommitDuration.record(secondsBetween(bodyEnd, firstByte ?? end), attributes);
    });
    next();
  };
}
