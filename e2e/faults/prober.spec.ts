import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { ApiClient } from '@platform/test-client';
import type { RunningStack } from '../../scripts/local-stack/stack.ts';
import { startFreshStack } from '../../scripts/local-stack/stack.ts';
import { minus, promQuery } from '../support/prometheus-query.ts';
import { parseSamples } from '../support/prometheus-text.ts';
import { within } from './support.ts';

// The outside-in journey prober (services/prober) in a real stack: through the TLS ingress it logs in,
// uploads, reads back, compares and deletes. Its counter (prober_journeys_total by outcome), as the
// prober exports it and as Prometheus and the journey SLO's rules see it, must tell successful journeys
// from failed ones, and name the step that failed: S3 or the image service down fails the upload, the
// gateway down fails the login. A journey every 2 s here (30 s in a deployment), each followed by a large upload
// (every 4th in a deployment), counted by prober_large_uploads_total: answered 201 while all is well, failed while
// S3 is down.

const intervalMs = 2_000;
let stack: RunningStack;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  stack = await startFreshStack('.dev/faults-prober', {
    ingress: true,
    monitoring: true,
    proberEnv: { PROBE_INTERVAL_MS: String(intervalMs), PROBE_TIMEOUT_MS: '1800', PROBE_LARGE_UPLOAD_EVERY: '1' },
  });
});
test.afterAll(async () => {
  await stack.stop();
});

type Counts = Record<string, number>;

/** A counter of the prober's by outcome, from its metrics port. */
async function byOutcome(metric: string): Promise<Counts> {
  const prober = stack.description.prober;
  if (prober === null) throw new Error('the stack runs no prober');
  const text = await (await fetch(prober.metrics, { signal: AbortSignal.timeout(2_000) })).text();
  return Object.fromEntries(
    parseSamples(text)
      .filter((sample) => sample.name === metric)
      .map((sample) => [sample.labels['outcome'] ?? '', sample.value]),
  );
}
const journeys = () => byOutcome('prober_journeys_total');
const largeUploads = () => byOutcome('prober_large_uploads_total');
/** The 5-minute SLI of one journey SLO (its sloth_id). */
const sli5m = (id: string) => promValue(`slo:sli_error:ratio_rate5m{sloth_id="${id}"}`);

/** An instant query's first value, or undefined when it has none. */
async function promValue(expr: string): Promise<number | undefined> {
  const prometheus = stack.description.prometheus;
  if (prometheus === null) throw new Error('the stack runs no Prometheus');
  const [first] = await promQuery(prometheus.url, expr);
  return first === undefined ? undefined : Number(first.value[1]);
}

/** Waits until some journeys ended with `outcome`, and returns what every journey of the fault ended with. */
async function failuresWhile(outcome: string, fault: () => Promise<unknown>, restore: () => Promise<unknown>) {
  // Let a journey already under way finish before the fault, so it is not counted as one of the fault's.
  await new Promise((resolve) => setTimeout(resolve, intervalMs));
  const before = await journeys();
  await fault();
  let during: Counts = {};
  try {
    await within(`journeys counted as ${outcome}`, 30_000, async () => {
      during = minus(await journeys(), before);
      return (during[outcome] ?? 0) >= 2;
    });
    during = minus(await journeys(), before);
  } finally {
    await restore();
  }
  // And back to success once the fault is gone.
  const restored = await journeys();
  await within('a successful journey after the fault', 60_000, async () => {
    return (minus(await journeys(), restored)['success'] ?? 0) >= 1;
  });
  return during;
}

/**
 * Every journey of the fault failed at `step`, but at most one: the journey under way when the fault
 * began may have passed that step already, and succeeded or failed at a later one (seen: read_failed
 * when the image service stopped between its upload and its read).
 */
function expectFailedAt(step: string, during: Counts): void {
  expect(during[step] ?? 0).toBeGreaterThanOrEqual(2);
  const others = Object.entries(during).filter(([outcome]) => outcome !== step);
  expect(
    others.reduce((sum, [, count]) => sum + count, 0),
    JSON.stringify(during),
  ).toBeLessThanOrEqual(1);
}

test('successful journeys are counted, by the prober and in Prometheus', async () => {
  expect(stack.description.prober, 'the local stack runs the prober with the ingress').not.toBeNull();
  const start = await journeys();
  await within('three successful journeys', 30_000, async () => (minus(await journeys(), start)['success'] ?? 0) >= 3);
  const counts = await journeys();
  expect(Object.keys(counts).sort()).toEqual([
    'checksum_mismatch',
    'delete_failed',
    'login_failed',
    'read_failed',
    'success',
    'timeout',
    'upload_failed',
  ]);
  expect(counts['success']).toBeGreaterThanOrEqual(3);
  for (const outcome of Object.keys(counts).filter((name) => name !== 'success')) expect(counts[outcome]).toBe(0);

  // Prometheus scrapes the prober (job prober), and the journey SLO's rules read it: no error so far.
  await within('Prometheus sees the journeys', 60_000, async () => {
    const success = await promValue('sum(prober_journeys_total{job="prober",outcome="success"})');
    return (success ?? 0) >= 1 && (await sli5m('journey-bytes-back')) === 0;
  });
  const median = await promValue(
    'histogram_quantile(0.5, sum by (le) (prober_journey_duration_seconds_bucket{job="prober",outcome="success"}))',
  );
  console.log(`prober: ${String(counts['success'])} successful journeys, median duration ${String(median)} s`);

  // Its large uploads: answered 201 (fast or slow: how fast is this machine's to say), none failed; every outcome's
  // series exported from the start, and the throughput SLO's rules read them.
  const large = await largeUploads();
  expect(Object.keys(large).sort()).toEqual(['failed', 'fast', 'slow']);
  expect((large['fast'] ?? 0) + (large['slow'] ?? 0)).toBeGreaterThanOrEqual(2);
  expect(large['failed']).toBe(0);
  await within('the large-upload throughput SLI is measured', 60_000, async () => {
    const sli = await sli5m('journey-large-upload-throughput');
    return sli !== undefined && !Number.isNaN(sli);
  });
  console.log(`prober: large uploads ${JSON.stringify(large)}`);
});

test('S3 down: journeys fail at the upload, large uploads fail, and both SLIs burn', async () => {
  const largeBefore = await largeUploads();
  const during = await failuresWhile(
    'upload_failed',
    () => stack.objectStore.stop(),
    () => stack.objectStore.start(),
  );
  console.log(`S3 down: journeys ended ${JSON.stringify(during)}`);
  expectFailedAt('upload_failed', during);
  // Each failed journey's slot ended with a large upload, refused too.
  const largeDuring = minus(await largeUploads(), largeBefore);
  console.log(`S3 down: large uploads ${JSON.stringify(largeDuring)}`);
  expect(largeDuring['failed'] ?? 0).toBeGreaterThanOrEqual(1);
  await within('the 5-minute large-upload throughput SLI counts the failures', 30_000, async () => {
    return ((await sli5m('journey-large-upload-throughput')) ?? 0) > 0;
  });
  // Prometheus scrapes every 5 s and evaluates the rules every 5 s: the 5-minute SLI shows the failures soon.
  await within('the 5-minute journey SLI counts the failures', 30_000, async () => {
    const sli = await sli5m('journey-bytes-back');
    const failed = await promValue('sum(prober_journeys_total{job="prober",outcome="upload_failed"})');
    return (sli ?? 0) > 0 && (failed ?? 0) >= 2;
  });
});

// A service stopped: journeys fail at the first step that needs it.
for (const { service, label, step } of [
  { service: 'image', label: 'the image service down', step: 'upload_failed' },
  { service: 'api', label: 'the gateway down', step: 'login_failed' },
] as const) {
  test(`${label}: journeys fail at ${step}`, async () => {
    const during = await failuresWhile(
      step,
      () => stack.stopService(service),
      () => stack.startService(service),
    );
    console.log(`${service} down: journeys ended ${JSON.stringify(during)}`);
    expectFailedAt(step, during);
  });
}

test("no journey left an image behind in the prober's account, failed ones included", async () => {
  const env = stack.description.prober?.env ?? {};
  const client = new ApiClient({ baseUrl: stack.description.services.api.url });
  const password = readFileSync(env['PROBE_PASSWORD_FILE'] ?? '', 'utf8').trim();
  const { token } = (await (
    await client.send('POST', '/login', { json: { username: env['PROBE_USERNAME'], password } })
  ).json()) as { token: string };
  // A journey may be under way: it deletes its own image within its time limit.
  await within("the prober's account is empty", 10_000, async () => {
    const listing = (await (await client.send('GET', '/images', { token })).json()) as { images: unknown[] };
    return listing.images.length === 0;
  });
});
