import express, { type Express } from 'express';
import helmet from 'helmet';
import { mountHealthRoutes, type Readiness } from '../health.ts';
import type { Logger } from '../logger.ts';
import { notFoundHandler, problemErrorHandler } from './problem-responses.ts';
import { requestLogging } from './request-logging.ts';
import { requestMetrics } from './request-metrics.ts';
import { requestTracing } from './request-tracing.ts';

export interface HttpAppOptions {
  /** Names the service's spans. */
  service: string;
  logger: Logger;
  readiness: Readiness;
  /** Mounts the service's own routes. */
  routes: (app: Express) => void;
  /** Express "trust proxy" setting: which hops may set X-Forwarded-*. Default: none. */
  trustProxy?: string | number | false;
}

/**
 * The Express application every service starts from: a trace span, request logging and metrics, security headers, health
 * routes, then the service's routes, then JSON 404s and the central error handler.
 */
export function createHttpApp({ service, logger, readiness, routes, trustProxy = false }: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy);
  app.set('query parser', 'simple');
  // Weak ETags of JSON bodies help no client here; image downloads carry the object's real ETag.
  app.set('etag', false);
  app.use(requestTracing(service));
  app.use(requestLogging(logger));
  app.use(requestMetrics());
  app.use(helmet());
  mountHealthRoutes(app, readiness);
  routes(app);
  app.use(notFoundHandler);
  app.use(problemErrorHandler(logger));
  return app;
}
