import { expect, test } from '@playwright/test';
import { fixtureImage } from '@platform/test-client';
import { parseSamples, type Sample } from '../support/prometheus-text.ts';
import { apiClient, runningStack } from '../support/stack.ts';

/** Label values that would make a series per user, file or request. */
const unbounded = [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i, /\.png$/, /^\/images\/[^:]/];

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return parseSamples(await response.text());
}

const series = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );

test('every service exposes its metrics after real traffic, with bounded labels only', async ({ request }) => {
  const stack = runningStack();
  const client = apiClient();
  const { token } = await client.newAccount('metrics');
  const { filename } = await client.upload(token);
  await (await client.download(token, filename)).arrayBuffer(); // throws unless 200
  expect((await request.get('/images', { headers: { Authorization: 'Bearer forged' } })).status()).toBe(401);
  expect(
    (await request.post('/login', { data: { username: 'nobody-here', password: 'wrong-password' } })).status(),
  ).toBe(401);

  const [api, authService, imageService] = await Promise.all([
    scrape(stack.services.api.metrics),
    scrape(stack.services.auth.metrics),
    scrape(stack.services.image.metrics),
  ]);

  // HTTP server histograms with method, route template and status.
  expect(
    series(api, 'http_server_request_duration_seconds_count', {
      http_request_method: 'POST',
      http_route: '/upload',
      http_response_status_code: '201',
    })[0]?.value,
  ).toBeGreaterThanOrEqual(1);
  expect(
    series(api, 'http_server_request_duration_seconds_bucket', { http_route: '/images/:filename', le: '0.3' }).length,
  ).toBeGreaterThan(0);
  expect(
    series(imageService, 'http_server_request_duration_seconds_count', { http_route: '/images' }).length,
  ).toBeGreaterThan(0);
  expect(
    series(authService, 'http_server_request_duration_seconds_count', {
      http_route: '/login',
      http_response_status_code: '401',
    }).length,
  ).toBeGreaterThan(0);

  // Dependencies: other services, S3, PostgreSQL.
  expect(
    series(api, 'http_client_request_duration_seconds_count', {
      server_address: 'image',
      http_response_status_code: '201',
    }).length,
  ).toBeGreaterThan(0);
  expect(
    series(imageService, 's3_client_operation_duration_seconds_count', {
      s3_operation: 'PutObject',
      outcome: 'success',
    }).length,
  ).toBeGreaterThan(0);
  expect(
    series(imageService, 's3_client_operation_duration_seconds_count', {
      s3_operation: 'GetObject',
      outcome: 'success',
    }).length,
  ).toBeGreaterThan(0);
  expect(
    series(authService, 'db_client_operation_duration_seconds_count', {
      db_system_name: 'postgresql',
      db_operation_name: 'User.create',
      outcome: 'success',
    }).length,
  ).toBeGreaterThan(0);

  // Bytes, auth outcomes, key-set fetches.
  expect(
    series(imageService, 'image_upload_size_bytes_total', { image_content_type: 'image/png' })[0]?.value,
  ).toBeGreaterThanOrEqual(fixtureImage.length);
  expect(
    series(imageService, 'image_download_size_bytes_total', { image_content_type: 'image/png' })[0]?.value,
  ).toBeGreaterThanOrEqual(fixtureImage.length);
  expect(series(authService, 'auth_login_attempts_total', { outcome: 'success' }).length).toBe(1);
  expect(series(authService, 'auth_login_attempts_total', { outcome: 'bad_credentials' }).length).toBe(1);
  expect(series(api, 'auth_token_rejections_total', { reason: 'malformed' }).length).toBe(1);
  expect(series(api, 'auth_jwks_fetches_total', { outcome: 'success' }).length).toBe(1);

  // Node runtime.
  for (const samples of [api, authService, imageService]) {
    expect(series(samples, 'nodejs_eventloop_delay_p99_seconds').length).toBe(1);
    expect(series(samples, 'v8js_memory_heap_used_bytes').length).toBeGreaterThan(0);
  }

  // No label value may identify a user, a file or a raw path.
  for (const sample of [...api, ...authService, ...imageService]) {
    for (const [label, value] of Object.entries(sample.labels)) {
      for (const pattern of unbounded) expect(value, `${sample.name}{${label}="${value}"}`).not.toMatch(pattern);
    }
  }
});
