// A real Alertmanager (Debian's prometheus-alertmanager) for the tests of slo/alertmanager: started on a free
// loopback port with a configuration file, alerts posted and read through its API, stopped with its data.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort } from '../../../scripts/lib/free-port.ts';
import { waitFor } from '../../../scripts/lib/wait.ts';

const ALERTMANAGER = process.env.ALERTMANAGER_BIN ?? 'prometheus-alertmanager';

export interface ApiAlert {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[] };
  fingerprint: string;
}

export interface PostedAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
}

export interface Alertmanager {
  /** What it logged so far (for failure messages). */
  log: () => string;
  post: (alerts: PostedAlert[]) => Promise<void>;
  alerts: () => Promise<ApiAlert[]>;
  stop: () => Promise<void>;
}

/** Starts Alertmanager with `config`, its data in `directory`; resolves once it is ready. */
export async function startAlertmanager(config: string, directory: string): Promise<Alertmanager> {
  const port = await freePort();
  const url = `http://127.0.0.1:${String(port)}`;
  const child = spawn(
    ALERTMANAGER,
    [
      `--config.file=${config}`,
      `--storage.path=${join(directory, 'data')}`,
      `--web.listen-address=127.0.0.1:${String(port)}`,
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.on('error', (error) => (log += `spawn failed: ${error.message}`));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  await waitFor('alertmanager to be ready', async () => (await fetch(`${url}/-/ready`)).ok, {
    timeoutMs: 20_000,
    intervalMs: 250,
  }).catch(async (error: unknown) => {
    await stop();
    throw new Error(`${(error as Error).message}\n${log}`);
  });
  return {
    log: () => log,
    async post(alerts) {
      const response = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      assert.equal(response.status, 200, await response.text());
    },
    async alerts() {
      return (await (await fetch(`${url}/api/v2/alerts`)).json()) as ApiAlert[];
    },
    stop,
  };
}

export interface SloAlertOptions {
  severity: 'page' | 'ticket';
  /** The SLO's name in its spec (availability, upload-success...). */
  slo: string;
  service?: string;
  environment: string;
  /** When it started; by default an hour ago, longer than any group_wait, so a new group is notified at once. */
  startsAt?: Date;
  /** A past endsAt resolves it. */
  endsAt?: Date;
}

/** An SLO burn-rate alert with the labels and annotations the generated rules (and external_labels) give it. */
export function sloAlert({
  severity,
  slo,
  service = 'api',
  environment,
  startsAt,
  endsAt,
}: SloAlertOptions): PostedAlert {
  const id = `${service}-${slo}`;
  const alertname = `${pascalCase(service)}${pascalCase(slo)}BudgetBurn`;
  return {
    labels: {
      alertname,
      severity,
      sloth_severity: severity,
      sloth_id: id,
      sloth_service: service,
      sloth_slo: slo,
      team: 'platform',
      environment,
    },
    annotations: { summary: `${id} is burning its error budget`, runbook: `slo/RUNBOOK.md#${id}` },
    startsAt: (startsAt ?? new Date(Date.now() - 3_600_000)).toISOString(),
    ...(endsAt === undefined ? {} : { endsAt: endsAt.toISOString() }),
  };
}

const pascalCase = (name: string) =>
  name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

/**
 * Alerts that Alertmanager notifies as one group, at once and deterministically. A new group waits its group_wait
 * unless an alert that started more than group_wait ago joins it, which makes it notify immediately. Alertmanager
 * takes the alerts of one POST in order, so the first ones (just started) are all in the group by the time the last
 * one (started long ago) releases it; had they all started long ago, the first could go out alone.
 */
export function togetherAtOnce(alerts: PostedAlert[]): PostedAlert[] {
  const justNow = new Date().toISOString();
  const longAgo = new Date(Date.now() - 3_600_000).toISOString();
  return alerts.map((alert, index) => ({ ...alert, startsAt: index === alerts.length - 1 ? longAgo : justNow }));
}
