// Runs the real Alertmanager (Debian's prometheus-alertmanager) with alertmanager.local.yml pointed at
// an in-process webhook receiver, and checks what amtool's routing tests cannot: that a page is
// delivered to /page with its labels and annotations and a ticket to /ticket, that the pages of one
// service and environment are one notification (and another service's another), that the ticket of
// the same SLO and environment is inhibited while the page fires (and only that ticket), and that the
// inhibition lifts when the page ends.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createReceiver } from '../../receiver/receiver.ts';
import { LOCAL_CONFIG, renderLocalConfig } from '../render-local.ts';
import { type Alertmanager, type ApiAlert, sloAlert, startAlertmanager, togetherAtOnce } from './support.ts';
import { waitFor } from '../../../scripts/lib/wait.ts';

/** The environment label the local stack's Prometheus gives every alert (its external_labels). */
const environment = 'local';

/** A fresh Alertmanager with the local configuration and its own receiver, for one group of tests. */
function localAlertmanager() {
  const receiver = createReceiver({ print: () => undefined });
  let directory: string;
  let alertmanager: Alertmanager | undefined;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'slo-alertmanager-'));
    receiver.server.listen(0, '127.0.0.1');
    await once(receiver.server, 'listening');
    const receiverUrl = `http://127.0.0.1:${String((receiver.server.address() as AddressInfo).port)}`;
    const config = join(directory, 'alertmanager.yml');
    await writeFile(config, renderLocalConfig(await readFile(LOCAL_CONFIG, 'utf8'), receiverUrl));
    alertmanager = await startAlertmanager(config, directory);
  });
  after(async () => {
    await alertmanager?.stop();
    receiver.server.close();
    await rm(directory, { recursive: true, force: true });
  });
  return {
    receiver,
    alertmanager: () => alertmanager ?? assert.fail('Alertmanager did not start'),
  };
}

function find(list: ApiAlert[], severity: string, id: string, env = environment): ApiAlert | undefined {
  return list.find(
    (alert) => alert.labels.severity === severity && alert.labels.sloth_id === id && alert.labels.environment === env,
  );
}

void describe('alertmanager.local.yml in a real Alertmanager: delivery and inhibition', () => {
  const { receiver, alertmanager } = localAlertmanager();

  void it('delivers a page to /page, inhibits only the same SLO ticket of its environment, and lifts the inhibition when the page ends', async () => {
    const am = alertmanager();
    // The alerts started an hour ago, longer than group_wait, so Alertmanager notifies at once
    // instead of waiting (10 s for pages, 1 m for tickets locally). The page goes first: when a page
    // and a ticket start together, it is the ticket's longer group_wait that lets the inhibition
    // take hold before the ticket would go out, and this test skips the waits.
    await am.post([sloAlert({ severity: 'page', slo: 'availability', environment })]);
    const page = await waitFor(
      'the page notification at the receiver',
      () => Promise.resolve(receiver.notifications.find((notification) => notification.channel === 'page')),
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    assert.equal(page.payload.receiver, 'page');
    assert.equal(page.payload.status, 'firing');
    assert.deepEqual(page.payload.groupLabels, { environment, sloth_service: 'api' });
    assert.equal(page.payload.alerts.length, 1);
    const [paged] = page.payload.alerts;
    assert.ok(paged);
    assert.equal(paged.labels.severity, 'page');
    assert.equal(paged.labels.environment, environment);
    assert.equal(paged.annotations.runbook, 'slo/RUNBOOK.md#api-availability');

    await am.post([
      sloAlert({ severity: 'ticket', slo: 'availability', environment }),
      sloAlert({ severity: 'ticket', slo: 'latency', environment }),
      // The same SLO's ticket in another environment: that environment does not page.
      sloAlert({ severity: 'ticket', slo: 'availability', environment: 'elsewhere' }),
    ]);

    const during = await am.alerts();
    const pageAlert = find(during, 'page', 'api-availability');
    assert.equal(pageAlert?.status.state, 'active');
    const inhibited = find(during, 'ticket', 'api-availability');
    assert.equal(inhibited?.status.state, 'suppressed');
    assert.deepEqual(inhibited.status.inhibitedBy, [pageAlert.fingerprint]);
    assert.equal(find(during, 'ticket', 'api-latency')?.status.state, 'active', 'another SLO keeps its ticket');
    assert.equal(
      find(during, 'ticket', 'api-availability', 'elsewhere')?.status.state,
      'active',
      'another environment keeps its ticket',
    );
    assert.equal(
      receiver.notifications.some(
        (notification) =>
          notification.channel === 'page' &&
          notification.payload.alerts.some((alert) => alert.labels.severity === 'ticket'),
      ),
      false,
      'tickets never reach the page receiver',
    );

    // The other SLO's ticket is delivered to /ticket, one group per SLO and environment; the inhibited one never is.
    const ticket = await waitFor(
      'the api-latency ticket notification at the receiver',
      () =>
        Promise.resolve(
          receiver.notifications.find(
            (notification) =>
              notification.channel === 'ticket' && notification.payload.groupLabels.environment === environment,
          ),
        ),
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    assert.equal(ticket.payload.receiver, 'ticket');
    assert.deepEqual(ticket.payload.groupLabels, {
      alertname: 'ApiLatencyBudgetBurn',
      environment,
      sloth_id: 'api-latency',
    });
    assert.equal(
      receiver.notifications.some((notification) =>
        notification.payload.alerts.some(
          (alert) =>
            alert.labels.severity === 'ticket' &&
            alert.labels.sloth_id === 'api-availability' &&
            alert.labels.environment === environment,
        ),
      ),
      false,
      'the inhibited ticket is never notified',
    );

    // The page ends: the ticket of that SLO is no longer inhibited.
    await am.post([
      sloAlert({ severity: 'page', slo: 'availability', environment, endsAt: new Date(Date.now() - 1000) }),
    ]);
    await waitFor(
      'the ticket to be active again',
      async () => (find(await am.alerts(), 'ticket', 'api-availability')?.status.state === 'active' ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 250 },
    );
  });
});

void describe('alertmanager.local.yml in a real Alertmanager: one page per service', () => {
  const { receiver, alertmanager } = localAlertmanager();

  void it('pages of two SLOs of one service are one notification; another service pages on its own', async () => {
    const am = alertmanager();
    // One S3 outage burns the api's availability and upload success budgets at once: one page.
    await am.post(
      togetherAtOnce([
        sloAlert({ severity: 'page', slo: 'availability', environment }),
        sloAlert({ severity: 'page', slo: 'upload-success', environment }),
      ]),
    );
    // A second service (the specs have only the api today) is another page.
    await am.post([sloAlert({ severity: 'page', slo: 'availability', service: 'image', environment })]);

    const paged = (id: string) =>
      receiver.notifications.some((notification) =>
        notification.payload.alerts.some((alert) => alert.labels.sloth_id === id),
      );
    await waitFor(
      'the three pages at the receiver',
      () =>
        Promise.resolve(
          ['api-availability', 'api-upload-success', 'image-availability'].every(paged) ? true : undefined,
        ),
      { timeoutMs: 20_000, intervalMs: 250 },
    );

    const pages = receiver.notifications.filter((notification) => notification.channel === 'page');
    assert.deepEqual(
      pages
        .map((notification) => ({
          group: notification.payload.groupLabels,
          slos: notification.payload.alerts.map((alert) => alert.labels.sloth_id).sort(),
        }))
        .sort((a, b) => String(a.group.sloth_service).localeCompare(String(b.group.sloth_service))),
      [
        { group: { environment, sloth_service: 'api' }, slos: ['api-availability', 'api-upload-success'] },
        { group: { environment, sloth_service: 'image' }, slos: ['image-availability'] },
      ],
    );
  });
});
