import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from '@playwright/test';
import { ApiClient, fixtureUpload } from '@platform/test-client';
import type { RunningStack } from '../../scripts/local-stack/stack.ts';
import { eventually, sloId, startSloStack } from './support.ts';

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

const uploadPage = (status: 'firing' | 'resolved') => (notification: Notification) =>
  notification.channel === 'page' &&
  notification.payload.alerts.some(
    (alert) =>
      alert.status === status &&
      alert.labels['sloth_id'] === sloId('upload-success') &&
      alert.labels['severity'] === 'page',
  );

// The drill runs the real rules generated from the same specs, with windows compressed so it fits
// in minutes (slo/rules-drill). The fault is real too: S3 stops.
test('when S3 goes down the upload SLO pages, and the page resolves after recovery', async () => {
  const { alertReceiver } = stack.description;
  expect(alertReceiver, 'Prometheus and Alertmanager must be installed (scripts/tools/install.sh)').not.toBeNull();
  if (alertReceiver === null) return;
  const client = new ApiClient({ baseUrl: stack.description.services.api.url });
  const { token } = await client.newAccount('drill');

  let running = true;
  const outcomes = { ok: 0, failed: 0 };
  const traffic = Promise.all(
    [0, 1, 2].map(async () => {
      while (running) {
        const upload = client.send('POST', '/upload', { token, multipart: fixtureUpload });
        const response = await upload.catch(() => undefined);
        if (response?.status === 201) outcomes.ok += 1;
        else outcomes.failed += 1;
        await response?.arrayBuffer();
        await sleep(200);
      }
    }),
  );
  try {
    await sleep(30_000); // healthy traffic first, so the windows hold successes too

    const failedAt = Date.now();
    await stack.objectStore.stop();
    const paged = await eventually('the upload-success page notification', 240_000, () =>
      Promise.resolve(notifications(alertReceiver.notificationsFile).find(uploadPage('firing'))),
    );
    const pagedAfter = (Date.parse(paged.receivedAt) - failedAt) / 1_000;

    await stack.objectStore.start();
    const recoveredAt = Date.now();
    const resolved = await eventually('the page to resolve', 300_000, () =>
      Promise.resolve(notifications(alertReceiver.notificationsFile).find(uploadPage('resolved'))),
    );
    const resolvedAfter = (Date.parse(resolved.receivedAt) - recoveredAt) / 1_000;

    const summary = `S3 down -> page received in ${pagedAfter.toFixed(0)} s; S3 back -> resolved in ${resolvedAfter.toFixed(0)} s (uploads ok ${outcomes.ok}, failed ${outcomes.failed})`;
    console.log(`drill: ${summary}`);
    test.info().annotations.push({ type: 'drill', description: summary });
    expect(outcomes.failed).toBeGreaterThan(0);
  } finally {
    running = false;
    await traffic;
  }
});
