import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';

/**
 * The route template (e.g. /images/:filename), never the raw path, which may hold names. Logs,
 * metrics and spans all label requests with it; it is known only once routing is done.
 */
export function routeOf(req: IncomingMessage): string {
  const route = (req as Request).route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? ((req as Request).baseUrl || '') + route.path : 'unmatched';
}
