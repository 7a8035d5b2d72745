import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from '@playwright/test';
import { ApiClient } from '@platform/test-client';
import type { RunningStack } from '../../scripts/local-stack/stack.ts';
import { edgeClient, eventually, sloId, startSloStack } from './support.ts';
import { outages, type Outage } from './outages.ts';
import { driveTraffic, edgeCountedByStatus } from './traffic.ts';

let stack: RunningStack;
test.beforeAll(async () => {
  stack = await startSloStack('.dev/slo-drill', 'drill');
});
test.afterAll(async () => {
  await stack.stop();
});

interface Notification {
  receivedAt: string;
  channel: string;
  payload: { status: string; alerts: Array<{ status: string; labels: Record<string, string> }> };
}

/** What the local webhook receiver has recorded so far. */
function notifications(file: string): Notification[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return []; // nothing received yet
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Notification);
}

/** A page notification carrying the burn-rate page of SLO `slo` (its spec name) in `status`. */
const sloPage = (slo: string) => (status: 'firing' | 'resolved') => (notification: Notification) =>
  notification.channel === 'page' &&
  notification.payload.alerts.some(
    (alert) =>
      alert.status === status && alert.labels['sloth_id'] === sloId(slo) && alert.labels['severity'] === 'page',
  );

const apiTargetDownPage = (status: 'firing' | 'resolved') => (notification: Notification) =>
  notification.channel === 'page' &&
  notification.payload.alerts.some((alert) => alert.status === status && alert.labels['alertname'] === 'ApiTargetDown');

// The drill runs the real rules generated from the same specs, with windows compressed so it fits in minutes
// (slo/rules-drill). The faults are real too: a dependency stops under the user journey (straight to the api, so the
// edge SLI stays quiet for its own drill below), and the SLO its users feel must page, then resolve once it is back.
// Each is a total outage of that SLO's requests: the journey starts over at whatever failed, so the bounds are those of
// any total outage. The page needs 14.4x the budget over 1m and 6m, which such an outage reaches by the second scrape of
// its errors (5 s apart), then a rule evaluation (10 s), the page route's group_interval (1 m: the api's page group may
// still be open from the drill before) and 30 s of slack. It resolves once the 1m window holds no errors (60 s), plus a
// scrape, an evaluation, a group_interval and 60 s of slack.
const OUTAGE_LATEST_PAGE_S = 5 + 5 + 10 + 60 + 30;
const OUTAGE_LATEST_RESOLVE_S = 60 + 5 + 10 + 60 + 60;

/** Reports a total outage's drill, then holds its page and its resolution to their bounds. */
function expectWithinOutageBounds(summary: string, pagedAfter: number, resolvedAfter: number): void {
  console.log(`drill: ${summary}`);
  test.info().annotations.push({ type: 'drill', description: summary });
  expect(pagedAfter, 'the page arrives within two scrapes, an evaluation and grouping').toBeLessThanOrEqual(
    OUTAGE_LATEST_PAGE_S,
  );
  expect(resolvedAfter, 'the page resolves within its short window and grouping').toBeLessThanOrEqual(
    OUTAGE_LATEST_RESOLVE_S,
  );
}

const DEPENDENCY_OUTAGES: Array<{ name: string; slo: string; outage: Outage }> = [
  { name: 'S3 down', slo: 'upload-success', outage: outages.s3 },
  { name: 'PostgreSQL down', slo: 'availability', outage: outages.postgres },
  { name: 'auth down', slo: 'login-availability', outage: outages.auth },
  { name: 'image down', slo: 'upload-success', outage: outages.image },
];

for (const { name, slo, outage } of DEPENDENCY_OUTAGES) {
  test(`${name}: the ${slo} SLO pages within ${String(OUTAGE_LATEST_PAGE_S)} s, and resolves within ${String(OUTAGE_LATEST_RESOLVE_S)} s of recovery`, async () => {
    const { alertReceiver } = stack.description;
    expect(alertReceiver, 'Prometheus and Alertmanager must be installed (scripts/tools/install.sh)').not.toBeNull();
    if (alertReceiver === null) return;
    const page = sloPage(slo);
    /** The notifications received since `moment` (an earlier drill may have paged for the same SLO). */
    const seenSince = (moment: number) =>
      notifications(alertReceiver.notificationsFile).filter(({ receivedAt }) => Date.parse(receivedAt) >= moment);

    let running = true;
    const traffic = driveTraffic(new ApiClient({ baseUrl: stack.description.services.api.url }), () => running, 3);
    try {
      await sleep(20_000); // healthy traffic first, so the windows hold successes too
      const failedAt = Date.now();
      const end = await outage(stack);
      let pagedAfter: number;
      try {
        const paged = await eventually(`the ${slo} page`, (OUTAGE_LATEST_PAGE_S + 60) * 1_000, () =>
          Promise.resolve(seenSince(failedAt).find(page('firing'))),
        );
        pagedAfter = (Date.parse(paged.receivedAt) - failedAt) / 1_000;
      } finally {
        await end();
      }
      const recoveredAt = Date.now();
      const resolved = await eventually(`the ${slo} page to resolve`, (OUTAGE_LATEST_RESOLVE_S + 60) * 1_000, () =>
        Promise.resolve(seenSince(recoveredAt).find(page('resolved'))),
      );
      const resolvedAfter = (Date.parse(resolved.receivedAt) - recoveredAt) / 1_000;
      running = false;
      const answers = await traffic;

      expectWithinOutageBounds(
        `${name} -> ${slo} page in ${pagedAfter.toFixed(0)} s (bound ${String(OUTAGE_LATEST_PAGE_S)} s); back -> resolved in ${resolvedAfter.toFixed(0)} s (bound ${String(OUTAGE_LATEST_RESOLVE_S)} s); answers ${JSON.stringify(answers)}`,
        pagedAfter,
        resolvedAfter,
      );
    } finally {
      running = false;
      await traffic;
    }
  });
}

// A frozen api (SIGSTOP: its sockets accept, nothing answers) takes its SLI series with it, so no
// burn-rate alert can see the outage; the absence alert (slo/absence/generate.ts) must page instead.
// Its bounds: not before the rule's one-minute wait, and no later than the wait plus a scrape interval
// and timeout (5 s each), a drill rule evaluation (10 s), the page route's group_interval (1 m) and 30 s
// of slack for a busy machine. Pages are grouped per service: the api's page group may still be open
// (the previous drill's pages resolving, or the burn-rate alerts the frozen api's vanished series
// resolve), and a page joining an open group waits for its next group_interval, not its group_wait (10 s).
const ABSENCE_WAIT_S = 60;
const LATEST_PAGE_S = ABSENCE_WAIT_S + 5 + 5 + 10 + 60 + 30;

test('when the api freezes, ApiTargetDown pages after its one-minute wait, and resolves once the api answers again', async () => {
  const { alertReceiver, services } = stack.description;
  expect(alertReceiver, 'Prometheus and Alertmanager must be installed (scripts/tools/install.sh)').not.toBeNull();
  const pid = services.api.pid;
  if (alertReceiver === null || pid === undefined) throw new Error('the drill stack runs no api process');
  const seen = () => notifications(alertReceiver.notificationsFile);
  expect(seen().filter(apiTargetDownPage('firing')), 'no ApiTargetDown page while the api answers').toEqual([]);

  const frozenAt = Date.now();
  process.kill(pid, 'SIGSTOP');
  let pagedAfter: number;
  try {
    const paged = await eventually('the ApiTargetDown page', (LATEST_PAGE_S + 60) * 1_000, () =>
      Promise.resolve(seen().find(apiTargetDownPage('firing'))),
    );
    pagedAfter = (Date.parse(paged.receivedAt) - frozenAt) / 1_000;
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  const thawedAt = Date.now();
  const resolved = await eventually('ApiTargetDown to resolve', 240_000, () =>
    Promise.resolve(seen().find(apiTargetDownPage('resolved'))),
  );
  const resolvedAfter = (Date.parse(resolved.receivedAt) - thawedAt) / 1_000;

  const summary = `api frozen -> ApiTargetDown page in ${pagedAfter.toFixed(0)} s (bounds ${String(ABSENCE_WAIT_S)}-${String(LATEST_PAGE_S)} s); thawed -> resolved in ${resolvedAfter.toFixed(0)} s`;
  console.log(`drill: ${summary}`);
  test.info().annotations.push({ type: 'drill', description: summary });
  expect(pagedAfter, "the page waits for the absence alert's minute").toBeGreaterThanOrEqual(ABSENCE_WAIT_S);
  expect(pagedAfter, 'the page arrives within the wait plus scrape, evaluation and grouping').toBeLessThanOrEqual(
    LATEST_PAGE_S,
  );
});

// A stopped api: the ingress answers its clients 502 itself, and the api's own SLIs see none of it. The edge SLI
// counts them (mtail on nginx's access log, job="edge"), exactly as many as the clients got, and its burn-rate alert
// pages within the bounds of any total outage (above).

const edgePage = sloPage('edge-availability');

test("when the api is down, the edge counts the clients' 502s, pages, and resolves once the api is back", async () => {
  const { alertReceiver, prometheus } = stack.description;
  expect(alertReceiver, 'Prometheus and Alertmanager must be installed (scripts/tools/install.sh)').not.toBeNull();
  if (alertReceiver === null || prometheus === null) return;
  const seen = () => notifications(alertReceiver.notificationsFile);
  const client = edgeClient(stack);
  const { token } = await client.newAccount('edge-drill');

  let running = true;
  const answers: Record<string, number> = {};
  const traffic = Promise.all(
    [0, 1, 2].map(async () => {
      while (running) {
        const response = await client.send('GET', '/images', { token }).catch(() => undefined);
        const key = response === undefined ? 'broken' : String(response.status);
        answers[key] = (answers[key] ?? 0) + 1;
        await response?.arrayBuffer();
        await sleep(100);
      }
    }),
  );
  try {
    await sleep(20_000); // healthy traffic first
    expect(Object.keys(answers), 'answers before the api stops').toEqual(['200']);
    expect(seen().filter(edgePage('firing')), 'no edge page while the api answers').toEqual([]);
    const edgeBefore = await edgeCountedByStatus(prometheus.url);
    const clients502Before = answers['502'] ?? 0;

    const stoppedAt = Date.now();
    await stack.stopService('api');
    const paged = await eventually('the edge-availability page', (OUTAGE_LATEST_PAGE_S + 60) * 1_000, () =>
      Promise.resolve(seen().find(edgePage('firing'))),
    );
    const pagedAfter = (Date.parse(paged.receivedAt) - stoppedAt) / 1_000;
    // Stop counting before comparing: the clients' 502s so far against the edge's.
    running = false;
    await traffic;
    const clients502 = (answers['502'] ?? 0) - clients502Before;
    await expect
      .poll(async () => ((await edgeCountedByStatus(prometheus.url))['502'] ?? 0) - (edgeBefore['502'] ?? 0), {
        message: "the edge's 502s in Prometheus, against the clients'",
        timeout: 30_000,
        intervals: [2_000],
      })
      .toBe(clients502);

    await stack.startService('api');
    running = true;
    const recovered = Promise.all(
      [0, 1].map(async () => {
        while (running) {
          await (await client.send('GET', '/images', { token }).catch(() => undefined))?.arrayBuffer();
          await sleep(100);
        }
      }),
    );
    const backAt = Date.now();
    const resolved = await eventually('the edge page to resolve', (OUTAGE_LATEST_RESOLVE_S + 60) * 1_000, () =>
      Promise.resolve(seen().find(edgePage('resolved'))),
    ).finally(async () => {
      running = false;
      await recovered;
    });
    const resolvedAfter = (Date.parse(resolved.receivedAt) - backAt) / 1_000;

    expect(clients502, '502s the clients got while the api was down').toBeGreaterThan(0);
    expectWithinOutageBounds(
      `api down -> clients got ${String(clients502)} 502s, the edge counted as many; edge page in ${pagedAfter.toFixed(0)} s (bound ${String(OUTAGE_LATEST_PAGE_S)} s); api back -> resolved in ${resolvedAfter.toFixed(0)} s (bound ${String(OUTAGE_LATEST_RESOLVE_S)} s)`,
      pagedAfter,
      resolvedAfter,
    );
  } finally {
    running = false;
    await traffic;
  }
});
