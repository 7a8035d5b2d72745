import { readFileSync } from 'node:fs';
import {
  createHttpApp,
  createJwtAuthentication,
  createLogger,
  Readiness,
  startTelemetry,
  type ServiceDefinition,
} from '@platform/runtime';
import type { Dispatcher } from 'undici';
import { parse as parseYaml } from 'yaml';
import type { ApiConfig } from './config.ts';
import { mountApiRoutes } from './http/routes.ts';
import { createAuthClient } from './upstreams/auth-client.ts';
import { createImageClient } from './upstreams/image-client.ts';

const openApiDocument = parseYaml(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')) as object;

export interface ApiServiceOptions {
  /** Carries the calls to auth and image instead of the gateway's own pools: tests hand in undici's MockAgent. */
  upstreamDispatcher?: Dispatcher;
}

/**
 * Wires the public gateway: tokens verified locally from the auth service's JWKS, credentials
 * forwarded to auth, image bytes streamed to and from the image service.
 *
 * Readiness deliberately checks no upstream: if auth or image is down, this gateway still answers
 * with a clear 503 problem, which beats being pulled out of the load balancer (an HTML 502/503
 * from the ingress) for a fault that is not its own.
 */
export async function createApiService(config: ApiConfig, options: ApiServiceOptions = {}): Promise<ServiceDefinition> {
  const telemetry = await startTelemetry({ service: 'api', host: config.HOST, port: config.METRICS_PORT });
  const logger = createLogger('api', config.LOG_LEVEL);
  const auth = createAuthClient(config, options.upstreamDispatcher);
  const images = createImageClient(config, options.upstreamDispatcher);
  const readiness = new Readiness([], config.READINESS_TIMEOUT_MS);
  const routes = {
    auth,
    images,
    requireUser: createJwtAuthentication(config),
    publicBaseUrl: config.PUBLIC_BASE_URL,
    maxUploadBytes: config.MAX_UPLOAD_BYTES,
    openApiDocument,
    corsAllowedOrigins: config.CORS_ALLOWED_ORIGINS,
  };
  return {
    name: 'api',
    logger,
    port: config.PORT,
    server: config,
    readiness,
    app: createHttpApp({
      service: 'api',
      logger,
      readiness,
      trustProxy: config.TRUST_PROXY,
      routes: (app) => {
        mountApiRoutes(app, routes);
      },
    }),
    resources: [
      { name: 'telemetry', close: telemetry.close },
      { name: 'auth upstream', close: auth.close },
      { name: 'image upstream', close: images.close },
    ],
  };
}
