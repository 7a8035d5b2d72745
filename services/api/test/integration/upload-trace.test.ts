import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startService, startTelemetry, type RunningService, type Telemetry } from '@platform/runtime';
import { ApiClient } from '@platform/test-client';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { freePort, startTestDatabase, startTestObjectStore } from '../../../../scripts/local-stack/testing.ts';
import { loadAuthConfig } from '../../../auth/src/config.ts';
import { createAuthService } from '../../../auth/src/service.ts';
import { loadImageConfig } from '../../../image/src/config.ts';
import { createImageService } from '../../../image/src/service.ts';
import { loadApiConfig } from '../../src/config.ts';
import { createApiService } from '../../src/service.ts';

/**
 * The three services run in this one process so that a single in-memory exporter sees every span.
 * The telemetry started here registers first, so the services' own start-up keeps it (the
 * OpenTelemetry API keeps the first global registration).
 */
describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let database: Awaited<ReturnType<typeof startTestDatabase>>;
  let store: Awaited<ReturnType<typeof startTestObjectStore>>;
  const services: RunningService[] = [];
  let api: RunningService;

  before(async () => {
    telemetry = await startTelemetry({
      service: 'trace-test',
      host: '127.0.0.1',
      port: await freePort(),
      spanExporter: exporter,
    });
    [database, store] = await Promise.all([startTestDatabase(), startTestObjectStore('minio')]);
    const [authPort, imagePort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const common = { LOG_LEVEL: 'silent', JWKS_URL: `http://127.0.0.1:${authPort}/.well-known/jwks.json` };
    const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    services.push(
      await startService(
        await createAuthService(
          loadAuthConfig({
            ...common,
            PORT: String(authPort),
            METRICS_PORT: String(await freePort()),
            DATABASE_URL: database.url,
            JWT_SIGNING_KEY: signingKey,
          }),
        ),
      ),
    );
    services.push(
      await startService(
        await createImageService(
          loadImageConfig({
            ...common,
            PORT: String(imagePort),
            METRICS_PORT: String(await freePort()),
            DATABASE_URL: database.url,
            S3_ENDPOINT: store.endpoint,
            S3_ACCESS_KEY_ID: store.accessKeyId,
            S3_SECRET_ACCESS_KEY: store.secretAccessKey,
          }),
        ),
      ),
    );
    api = await startService(
      await createApiService(
        loadApiConfig({
          ...common,
          PORT: String(apiPort),
          METRICS_PORT: String(await freePort()),
          AUTH_URL: `http://127.0.0.1:${authPort}`,
          IMAGE_URL: `http://127.0.0.1:${imagePort}`,
        }),
      ),
    );
    services.push(api);
  });

  after(async () => {
    for (const service of services.reverse()) await service.stop();
    await telemetry.close();
    await Promise.all([database.dispose(), store.dispose()]);
  });

  it('follows one upload through api, image, S3 and PostgreSQL in a single trace', async () => {
    const client = new ApiClient({ baseUrl: api.url });
    const { token } = await client.newAccount('tracer'); // throws unless registered (201) and logged in (200)

    exporter.reset();
    await client.upload(token); // throws unless stored (201)

    const spans = await finishedSpans(exporter, (all) => all.some((span) => span.name === 'POST /upload'));
    const root = spans.find((span) => span.name === 'POST /upload' && span.instrumentationScope.name === 'api');
    assert.ok(root, `no api server span among: ${spans.map((span) => span.name).join(', ')}`);
    const trace = spans.filter((span) => span.spanContext().traceId === root.spanContext().traceId);
    const named = (scope: string, name: string) =>
      trace.find((span) => span.instrumentationScope.name === scope && span.name === name);

    const toImage = named('api', 'POST image');
    const imageServer = named('image', 'POST /images');
    const putObject = named('image', 'S3 PutObject');
    const insertRow = named('database', 'prisma Image.create');
    assert.ok(
      toImage && imageServer && putObject && insertRow,
      `trace holds: ${trace.map((span) => `${span.instrumentationScope.name}:${span.name}`).join(', ')}`,
    );
    assert.equal(
      imageServer.parentSpanContext?.spanId,
      toImage.spanContext().spanId,
      'the image service continues the gateway call',
    );
    assert.equal(toImage.parentSpanContext?.spanId, root.spanContext().spanId);
  });
});

/** Spans end slightly after responses are sent: wait until the expected ones are there. */
async function finishedSpans(
  exporter: InMemorySpanExporter,
  complete: (spans: ReadableSpan[]) => boolean,
): Promise<ReadableSpan[]> {
  for (let attempt = 0; attempt < 50 && !complete(exporter.getFinishedSpans()); attempt += 1)
    await new Promise((resolve) => setTimeout(resolve, 100));
  return exporter.getFinishedSpans();
}
