import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import { freePort } from '../../../../scripts/lib/free-port.ts';
import { Readiness } from '../../src/health.ts';
import { createHttpApp, type HttpAppOptions } from '../../src/http/create-app.ts';
import { startTelemetry, type Telemetry } from '../../src/telemetry/metrics.ts';

export interface TestApp {
  /** Where the app answers. */
  base: URL;
  telemetry: Telemetry;
  close: () => Promise<void>;
}

/** The real app (tracing, logging, metrics middleware) with `routes`, on an ephemeral port, with its own telemetry. */
export async function startTestApp(options: {
  service: string;
  logger: Logger;
  routes: HttpAppOptions['routes'];
  spanExporter?: SpanExporter;
}): Promise<TestApp> {
  const { service, logger, routes, spanExporter } = options;
  const telemetry = await startTelemetry({
    service,
    host: '127.0.0.1',
    port: await freePort(),
    ...(spanExporter === undefined ? {} : { spanExporter }),
  });
  const server = createHttpApp({ service, logger, readiness: new Readiness([], 100), routes }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    base: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    telemetry,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await telemetry.close();
    },
  };
}
