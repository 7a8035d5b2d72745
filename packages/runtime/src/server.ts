import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerConfig } from './config.ts';
import { AppError, badRequest, problemContentType } from './errors.ts';
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
  server.on('clientError', answerUnparsableRequest);
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

/**
 * Requests Node cannot parse never reach Express; without this they get a bare status line. Answer
 * them as problem+json too: 431 for oversized headers, 408 for a request that timed out, else 400.
 */
function answerUnparsableRequest(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (socket as Duplex & { _httpMessage?: unknown })._httpMessage !== undefined) {
    socket.destroy();
    return;
  }
  const problem =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new AppError(431, 'request-header-fields-too-large', 'Request header fields too large', {
          detail: 'The request headers are too large.',
        })
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new AppError(408, 'request-timeout', 'Request timeout', { detail: 'The request took too long to arrive.' })
        : badRequest('The request could not be parsed as HTTP.');
  const body = JSON.stringify(problem.toProblem());
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: ${problemContentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

async function drainAndClose(
  server: Server,
  { logger, server: settings, readiness, resources }: ServiceDefinition,
): Promise<void> {
  readiness.startDraining();
  if (settings.SHUTDOWN_DELAY_MS > 0) {
    logger.info({ delayMs: settings.SHUTDOWN_DELAY_MS }, 'not ready; still serving while load balancers catch up');
    await sleep(settings.SHUTDOWN_DELAY_MS);
  }
  logger.info({ graceMs: settings.SHUTDOWN_GRACE_MS }, 'draining: no new connections, waiting for in-flight requests');
  const closed = new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  // Keep-alive connections become idle as their last response finishes: close them as they do.
  const sweeper = setInterval(() => {
    server.closeIdleConnections();
  }, idleSweepMs);
  server.closeIdleConnections();
  // The deadlines below are unref'd: once everything is closed they must not keep the process alive.
  const drained = await Promise.race([
    closed.then(() => true),
    sleep(settings.SHUTDOWN_GRACE_MS, false, { ref: false }),
  ]);
  clearInterval(sweeper);
  if (!drained) {
    logger.warn('grace period over: closing the connections still open');
    server.closeAllConnections();
    await closed;
  }
  for (const resource of [...resources].reverse()) {
    try {
      const timedOut = sleep(resourceCloseTimeoutMs, undefined, { ref: false }).then(() => {
        throw new Error('timed out');
      });
      await Promise.race([resource.close(), timedOut]);
    } catch (error) {
      logger.warn({ err: error, resource: resource.name }, 'resource did not close cleanly');
    }
  }
  logger.info('stopped');
}
