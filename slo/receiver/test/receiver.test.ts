import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  createReceiver,
  formatNotification,
  parseCli,
  type RecordedNotification,
  type WebhookPayload,
} from '../receiver.ts';

const run = promisify(execFile);

// What Alertmanager 0.25 sends for an SLO page (trimmed to the fields the receiver reads).
const pagePayload: WebhookPayload = {
  version: '4',
  groupKey: '{}/{severity="page"}:{sloth_id="api-availability"}',
  status: 'firing',
  receiver: 'page',
  groupLabels: { sloth_id: 'api-availability' },
  commonLabels: { alertname: 'ApiAvailabilityBudgetBurn', severity: 'page', sloth_id: 'api-availability' },
  commonAnnotations: { summary: 'budget burning' },
  externalURL: 'http://127.0.0.1:9093',
  alerts: [
    {
      status: 'firing',
      labels: {
        alertname: 'ApiAvailabilityBudgetBurn',
        severity: 'page',
        sloth_id: 'api-availability',
        sloth_slo: 'availability',
      },
      annotations: { summary: 'budget burning', runbook: 'slo/RUNBOOK.md#api-availability' },
      startsAt: '2026-11-23T23:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
    },
  ],
};

void describe('slo webhook receiver', () => {
  let directory: string;
  let outFile: string;
  let base: string;
  const printed: string[] = [];
  let receiver: ReturnType<typeof createReceiver>;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'slo-receiver-'));
    outFile = join(directory, 'notifications.jsonl');
    receiver = createReceiver({
      outFile,
      print: (text) => printed.push(text),
      now: () => new Date('2026-11-23T23:01:00.000Z'),
    });
    receiver.server.listen(0, '127.0.0.1');
    await once(receiver.server, 'listening');
    base = `http://127.0.0.1:${String((receiver.server.address() as AddressInfo).port)}`;
  });

  after(async () => {
    receiver.server.close();
    await rm(directory, { recursive: true, force: true });
  });

  void it('records a page notification as a JSON line, prints it and lists it', async () => {
    const response = await fetch(`${base}/page`, { method: 'POST', body: JSON.stringify(pagePayload) });
    assert.equal(response.status, 200);

    const lines = (await readFile(outFile, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 1);
    const recorded = JSON.parse(lines[0] ?? '') as RecordedNotification;
    assert.equal(recorded.channel, 'page');
    assert.equal(recorded.receivedAt, '2026-11-23T23:01:00.000Z');
    assert.deepEqual(recorded.payload, pagePayload);

    assert.equal(printed.length, 1);
    assert.match(printed[0] ?? '', /\/page receiver=page FIRING 1 alert\(s\), group \{sloth_id="api-availability"\}/);
    assert.match(printed[0] ?? '', /FIRING ApiAvailabilityBudgetBurn \(since 2026-11-23T23:00:00Z\)/);
    assert.match(printed[0] ?? '', /labels: severity="page" sloth_id="api-availability" sloth_slo="availability"/);
    assert.match(printed[0] ?? '', /runbook: slo\/RUNBOOK.md#api-availability/);

    const listed = (await (await fetch(`${base}/notifications`)).json()) as RecordedNotification[];
    assert.deepEqual(listed, [recorded]);
  });

  void it('appends a resolved ticket notification after the page', async () => {
    const resolved: WebhookPayload = {
      ...pagePayload,
      status: 'resolved',
      receiver: 'ticket',
      alerts: pagePayload.alerts.map((alert) => ({
        ...alert,
        status: 'resolved',
        labels: { ...alert.labels, severity: 'ticket' },
        endsAt: '2026-11-23T23:05:00Z',
      })),
    };
    const response = await fetch(`${base}/ticket`, { method: 'POST', body: JSON.stringify(resolved) });
    assert.equal(response.status, 200);
    const lines = (await readFile(outFile, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 2);
    assert.equal((JSON.parse(lines[1] ?? '') as RecordedNotification).channel, 'ticket');
    assert.match(printed[1] ?? '', /RESOLVED ApiAvailabilityBudgetBurn \(ended 2026-11-23T23:05:00Z\)/);
    assert.equal(receiver.notifications.length, 2);
  });

  void it('rejects bodies that are not webhook payloads, records nothing', async () => {
    const notJson = await fetch(`${base}/page`, { method: 'POST', body: '{not json' });
    assert.equal(notJson.status, 400);
    const noAlerts = await fetch(`${base}/page`, {
      method: 'POST',
      body: JSON.stringify({ ...pagePayload, alerts: [{ status: 'firing' }] }),
    });
    assert.equal(noAlerts.status, 400);
    assert.match(((await noAlerts.json()) as { error: string }).error, /alerts/);
    assert.equal(receiver.notifications.length, 2);
  });

  void it('answers health checks, and 405/404 for other methods and paths', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const get = await fetch(`${base}/page`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal((await fetch(`${base}/a/b`, { method: 'POST', body: '{}' })).status, 404);
  });
});

void describe('formatNotification', () => {
  void it('prints every alert under its alertname, with its other labels and its annotations', () => {
    const text = formatNotification({ receivedAt: 'T', channel: 'page', payload: pagePayload });
    assert.equal(
      text,
      [
        '[T] /page receiver=page FIRING 1 alert(s), group {sloth_id="api-availability"}',
        '  FIRING ApiAvailabilityBudgetBurn (since 2026-11-23T23:00:00Z)',
        '    labels: severity="page" sloth_id="api-availability" sloth_slo="availability"',
        '    runbook: slo/RUNBOOK.md#api-availability',
        '    summary: budget burning',
        '',
      ].join('\n'),
    );
  });
});

void describe('parseCli', () => {
  void it('defaults to 127.0.0.1:9095 with no file', () => {
    assert.deepEqual(parseCli([], {}), { host: '127.0.0.1', port: 9095, outFile: undefined, help: false });
  });
  void it('takes the environment, and flags over the environment', () => {
    const env = { SLO_RECEIVER_PORT: '9100', SLO_RECEIVER_OUT: '/tmp/a.jsonl', SLO_RECEIVER_HOST: '0.0.0.0' };
    assert.deepEqual(parseCli([], env), { host: '0.0.0.0', port: 9100, outFile: '/tmp/a.jsonl', help: false });
    assert.deepEqual(parseCli(['--port', '0', '--out=/tmp/b.jsonl'], env), {
      host: '0.0.0.0',
      port: 0,
      outFile: '/tmp/b.jsonl',
      help: false,
    });
  });
  void it('rejects unknown flags, missing values and bad ports', () => {
    assert.throws(() => parseCli(['--nope', '1'], {}), /unknown flag/);
    assert.throws(() => parseCli(['--port'], {}), /needs a value/);
    assert.throws(() => parseCli(['--port', 'x'], {}), /invalid port/);
  });
});

void describe('main.ts', () => {
  const main = new URL('../main.ts', import.meta.url).pathname;
  void it('prints usage with --help and exits 0', async () => {
    const { stdout } = await run(process.execPath, [main, '--help']);
    assert.match(stdout, /^Usage: node slo\/receiver\/main.ts/);
    assert.match(stdout, /SLO_RECEIVER_OUT/);
  });
  void it('exits 2 on a bad flag', async () => {
    await assert.rejects(run(process.execPath, [main, '--bogus', 'x']), (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr ?? '', /unknown flag: --bogus/);
      return true;
    });
  });
});
