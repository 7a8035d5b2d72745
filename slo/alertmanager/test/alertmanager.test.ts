// Runs the real Alertmanager (Debian's prometheus-alertmanager) with alertmanager.local.yml pointed at
// an in-process webhook receiver, and checks what amtool's routing tests cannot: that a page is
// delivered to /page with its labels and annotations and a ticket to /ticket, grouped per SLO, that
// the ticket of the same SLO is inhibited
// while the page fires (and only that SLO's ticket), and that the inhibition lifts when the page ends.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createReceiver } from '../../receiver/receiver.ts';
import { LOCAL_CONFIG, renderLocalConfig } from '../render-local.ts';

const ALERTMANAGER = process.env.ALERTMANAGER_BIN ?? 'prometheus-alertmanager';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe().catch(() => undefined);
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface ApiAlert {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[] };
  fingerprint: string;
}

function sloAlert(severity: 'page' | 'ticket', id: string, slo: string, alertname: string, endsAt?: Date) {
  return {
    labels: {
      alertname,
      severity,
      sloth_severity: severity,
      sloth_id: id,
      sloth_service: 'api',
      sloth_slo: slo,
      team: 'platform',
    },
    annotations: { summary: `${id} is burning its error budget`, runbook: `slo/RUNBOOK.md#${id}` },
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    ...(endsAt === undefined ? {} : { endsAt: endsAt.toISOString() }),
  };
}

void describe('alertmanager.local.yml in a real Alertmanager', () => {
  let directory: string;
  let alertmanager: ChildProcess | undefined;
  let amUrl: string;
  let log = '';
  const receiver = createReceiver({ print: () => undefined });

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'slo-alertmanager-'));
    receiver.server.listen(0, '127.0.0.1');
    await once(receiver.server, 'listening');
    const receiverUrl = `http://127.0.0.1:${String((receiver.server.address() as AddressInfo).port)}`;
    const config = join(directory, 'alertmanager.yml');
    await writeFile(config, renderLocalConfig(await readFile(LOCAL_CONFIG, 'utf8'), receiverUrl));

    const port = await freePort();
    amUrl = `http://127.0.0.1:${String(port)}`;
    alertmanager = spawn(
      ALERTMANAGER,
      [
        `--config.file=${config}`,
        `--storage.path=${join(directory, 'data')}`,
        `--web.listen-address=127.0.0.1:${String(port)}`,
        '--cluster.listen-address=',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    alertmanager.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    alertmanager.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    alertmanager.on('error', (error) => (log += `spawn failed: ${error.message}`));
    await waitFor(
      'alertmanager to be ready',
      async () => ((await fetch(`${amUrl}/-/ready`)).ok ? true : undefined),
      20_000,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${log}`);
    });
  });

  after(async () => {
    if (alertmanager?.exitCode === null) {
      alertmanager.kill('SIGTERM');
      await once(alertmanager, 'exit');
    }
    receiver.server.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function post(alerts: unknown[]): Promise<void> {
    const response = await fetch(`${amUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    assert.equal(response.status, 200, await response.text());
  }

  async function alerts(): Promise<ApiAlert[]> {
    return (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as ApiAlert[];
  }

  function find(list: ApiAlert[], severity: string, id: string): ApiAlert | undefined {
    return list.find((alert) => alert.labels.severity === severity && alert.labels.sloth_id === id);
  }

  void it('delivers a page to /page, inhibits only the same SLO ticket, and lifts the inhibition when the page ends', async () => {
    // The alerts started a minute ago, longer than group_wait, so Alertmanager notifies at once
    // instead of waiting (10 s for pages, 1 m for tickets locally). The page goes first: when a page
    // and a ticket start together, it is the ticket's longer group_wait that lets the inhibition
    // take hold before the ticket would go out, and this test skips the waits.
    await post([sloAlert('page', 'api-availability', 'availability', 'ApiAvailabilityBudgetBurn')]);
    const page = await waitFor(
      'the page notification at the receiver',
      () => Promise.resolve(receiver.notifications.find((notification) => notification.channel === 'page')),
      40_000,
    );
    assert.equal(page.payload.receiver, 'page');
    assert.equal(page.payload.status, 'firing');
    assert.deepEqual(page.payload.groupLabels, {
      alertname: 'ApiAvailabilityBudgetBurn',
      sloth_id: 'api-availability',
    });
    assert.equal(page.payload.alerts.length, 1);
    const [paged] = page.payload.alerts;
    assert.ok(paged);
    assert.equal(paged.labels.severity, 'page');
    assert.equal(paged.annotations.runbook, 'slo/RUNBOOK.md#api-availability');

    await post([
      sloAlert('ticket', 'api-availability', 'availability', 'ApiAvailabilityBudgetBurn'),
      sloAlert('ticket', 'api-latency', 'latency', 'ApiLatencyBudgetBurn'),
    ]);

    const during = await alerts();
    const pageAlert = find(during, 'page', 'api-availability');
    assert.equal(pageAlert?.status.state, 'active');
    const inhibited = find(during, 'ticket', 'api-availability');
    assert.equal(inhibited?.status.state, 'suppressed');
    assert.deepEqual(inhibited.status.inhibitedBy, [pageAlert.fingerprint]);
    assert.equal(find(during, 'ticket', 'api-latency')?.status.state, 'active', 'another SLO keeps its ticket');
    assert.equal(
      receiver.notifications.some(
        (notification) =>
          notification.channel === 'page' &&
          notification.payload.alerts.some((alert) => alert.labels.severity === 'ticket'),
      ),
      false,
      'tickets never reach the page receiver',
    );

    // The other SLO's ticket is delivered to /ticket; the inhibited one never is.
    const ticket = await waitFor(
      'the api-latency ticket notification at the receiver',
      () => Promise.resolve(receiver.notifications.find((notification) => notification.channel === 'ticket')),
      90_000,
    );
    assert.equal(ticket.payload.receiver, 'ticket');
    assert.deepEqual(ticket.payload.groupLabels, { alertname: 'ApiLatencyBudgetBurn', sloth_id: 'api-latency' });
    assert.equal(
      receiver.notifications.some((notification) =>
        notification.payload.alerts.some(
          (alert) => alert.labels.severity === 'ticket' && alert.labels.sloth_id === 'api-availability',
        ),
      ),
      false,
      'the inhibited ticket is never notified',
    );

    // The page ends: the ticket of that SLO is no longer inhibited.
    await post([
      sloAlert('page', 'api-availability', 'availability', 'ApiAvailabilityBudgetBurn', new Date(Date.now() - 1000)),
    ]);
    await waitFor(
      'the ticket to be active again',
      async () => (find(await alerts(), 'ticket', 'api-availability')?.status.state === 'active' ? true : undefined),
      20_000,
    );
  });
});
