import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerConfig } from './config.ts';
import type { Readiness } from './health.ts';
import type { Logger } from './logger.ts';

/** Something to release after the server has drained: a connection pool, a client. */
export interface ManagedResource {
  name: string;
  close: () => Promise<void>;
}

/** Everything needed to run one HTTP service. */
export interface ServiceDefinition {
  name: string;
  logger: Logger;
  app: RequestListener;
  port: number;
  server: ServerConfig;
  readiness: Readiness;
  /** Closed in reverse order once requests have drained. */
  resources: ManagedResource[];
}

export interface RunningService {
  /** http://host:port the service listens on (the port is real even if 0 was asked for). */
  url: string;
  port: number;
  /** Drains in-flight requests, then closes resources. Safe to call more than once. */
  stop: () => Promise<void>;
}

const idleSweepMs = 250;
const resourceCloseTimeoutMs = 5_000;

/** Starts listening and returns once the port is bound. */
export async function startService(definition: ServiceDefinition): Promise<RunningService> {
  const { logger, server: settings } = definition;
  const server = createServer(
    {
      headersTimeout: settings.HEADERS_TIMEOUT_MS,
      requestTimeout: settings.REQUEST_TIMEOUT_MS,
      keepAliveTimeout: settings.KEEP_ALIVE_TIMEOUT_MS,
    },
    definition.app,
  );
  server.listen(definition.port, settings.HOST);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = settings.HOST.includes(':') ? `[${settings.HOST}]` : settings.HOST;
  logger.info({ port, host: settings.HOST }, `${definition.name} listening`);

  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    stop: () => (stopping ??= drainAndClose(server, definition)),
  };
}

async function drainAndClose(server: Server, { logger, server: settings, readiness, resources }: ServiceDefinition): Promise<void> {
  readiness.startDraining();
  if (settings.SHUTDOWN_DELAY_MS > 0) {
    logger.info({ delayMs: settings.SHUTDOWN_DELAY_MS }, 'not ready; still serving while load balancers catch up');
    await sleep(settings.SHUTDOWN_DELAY_MS);
  }
  logger.info({ graceMs: settings.SHUTDOWN_GRACE_MS }, 'draining: no new connections, waiting for in-flight requests');
  const closed = new Promise<void>((resolve) => server.close(() => { resolve(); }));
  // Keep-alive connections become idle as their last response finishes: close them as they do.
  const sweeper = setInterval(() => { server.closeIdleConnections(); }, idleSweepMs);
  server.closeIdleConnections();
  const drained = await Promise.race([closed.then(() => true), sleep(settings.SHUTDOWN_GRACE_MS, false)]);
  clearInterval(sweeper);
  if (!drained) {
    logger.warn('grace period over: closing the connections still open');
    server.closeAllConnections();
    await closed;
  }
  for (const resource of [...resources].reverse()) {
    try {
      await Promise.race([resource.close(), sleep(resourceCloseTimeoutMs).then(() => { throw new Error('timed out'); })]);
    } catch (error) {
      logger.warn({ err: error, resource: resource.name }, 'resource did not close cleanly');
    }
  }
  logger.info('stopped');
}
