// Runs the real Alertmanager (Debian's prometheus-alertmanager) with a copy of alertmanager.production.yml whose
// PagerDuty and Slack endpoints are a listener on the loopback, and checks what PagerDuty (Events API v2) and Slack
// would receive, rendered by the committed templates (templates/*.tmpl): the environment, each alert with its
// absolute runbook URL, the service's dashboard, one PagerDuty incident per service and environment.
//
// The copy is derived from the committed file, not written by hand: every credential file under
// /etc/alertmanager/secrets/ becomes a scratch file (the Slack webhook URL's names the listener, the PagerDuty
// routing key is a dummy), the templates are read from slo/alertmanager/templates/ instead of the operator's mount,
// and global.pagerduty_url (PagerDuty's endpoint, not a credential) is the listener. Routes, receivers, texts and
// pace stay as committed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { type Alertmanager, type PostedAlert, sloAlert, startAlertmanager, togetherAtOnce } from './support.ts';
import { waitFor } from '../../../scripts/lib/wait.ts';

const PRODUCTION_CONFIG = fileURLToPath(new URL('../alertmanager.production.yml', import.meta.url));
const TEMPLATES_DIR = fileURLToPath(new URL('../templates/', import.meta.url));
const SECRETS_MOUNT = '/etc/alertmanager/secrets/';
const TEMPLATES_MOUNT = '/etc/alertmanager/config/';
const ROUTING_KEY = 'test-routing-key';

// The addresses of templates/links.tmpl, restated: a change there fails here until it is made on purpose.
const runbook = (environment: string, id: string) =>
  `https://git.example.com/platform/blob/${environment === 'prod' ? 'prod' : 'main'}/slo/RUNBOOK.md#${id}`;
const dashboard = (environment: string, service: string) =>
  `https://${environment === 'prod' ? 'grafana' : 'grafana.dev'}.example.com/d/slo-${service}`;

/**
 * The production configuration with its credential files in `secretsDir`, its templates read from the repository
 * and PagerDuty at `pagerdutyUrl`. Returns the names of the credential files it reads.
 */
function testConfig(
  production: string,
  { secretsDir, pagerdutyUrl }: { secretsDir: string; pagerdutyUrl: string },
): { config: string; secretFiles: string[] } {
  const secretFiles = new Set<string>();
  const relocate = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(relocate);
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, relocate(field)]));
    if (typeof value === 'string' && value.startsWith(SECRETS_MOUNT)) {
      secretFiles.add(basename(value));
      return join(secretsDir, basename(value));
    }
    if (typeof value === 'string' && value.startsWith(TEMPLATES_MOUNT))
      return join(TEMPLATES_DIR, value.slice(TEMPLATES_MOUNT.length));
    return value;
  };
  const config = relocate(parse(production)) as { global: Record<string, unknown> };
  assert.equal(config.global['pagerduty_url'], undefined, 'the committed file keeps PagerDuty’s own endpoint');
  config.global['pagerduty_url'] = pagerdutyUrl;
  return { config: stringify(config), secretFiles: [...secretFiles].sort() };
}

interface Delivery {
  path: string;
  body: Record<string, unknown>;
}

interface PagerDutyEvent {
  routing_key: string;
  event_action: string;
  dedup_key: string;
  payload: {
    summary: string;
    severity: string;
    component: string;
    group: string;
    custom_details: Record<string, string>;
  };
}

interface SlackMessage {
  channel: string;
  attachments: { title: string; title_link: string; text: string; fallback: string }[];
}

/** Stands in for PagerDuty (/pagerduty) and Slack's webhook (/slack): records every request, answers as they do. */
function listener() {
  const deliveries: Delivery[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliveries.push({
        path: request.url ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      if (request.url === '/pagerduty') {
        response.writeHead(202, { 'content-type': 'application/json' });
        response.end('{"status":"success","message":"Event processed"}');
      } else {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('ok');
      }
    });
  });
  return {
    server,
    pagerduty: () => deliveries.filter((d) => d.path === '/pagerduty').map((d) => d.body as unknown as PagerDutyEvent),
    slack: () => deliveries.filter((d) => d.path === '/slack').map((d) => d.body as unknown as SlackMessage),
  };
}

const page = (slo: string, environment: string, service?: string): PostedAlert =>
  sloAlert({ severity: 'page', slo, environment, ...(service === undefined ? {} : { service }) });

void describe('alertmanager.production.yml in a real Alertmanager: what PagerDuty and Slack receive', () => {
  const endpoints = listener();
  let directory: string;
  let alertmanager: Alertmanager | undefined;
  const am = () => alertmanager ?? assert.fail('Alertmanager did not start');

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'slo-alertmanager-production-'));
    endpoints.server.listen(0, '127.0.0.1');
    await once(endpoints.server, 'listening');
    const listenerUrl = `http://127.0.0.1:${String((endpoints.server.address() as AddressInfo).port)}`;

    const secretsDir = join(directory, 'secrets');
    await mkdir(secretsDir);
    const { config, secretFiles } = testConfig(await readFile(PRODUCTION_CONFIG, 'utf8'), {
      secretsDir,
      pagerdutyUrl: `${listenerUrl}/pagerduty`,
    });
    // What the secrets mechanism mounts in production, with stand-ins: a new credential file fails here first.
    const standIns: Record<string, string> = {
      'slack-webhook-url': `${listenerUrl}/slack`,
      'pagerduty-routing-key': ROUTING_KEY,
    };
    assert.deepEqual(secretFiles, Object.keys(standIns).sort());
    for (const [file, content] of Object.entries(standIns)) await writeFile(join(secretsDir, file), content);
    await writeFile(join(directory, 'alertmanager.yml'), config);
    alertmanager = await startAlertmanager(join(directory, 'alertmanager.yml'), directory);
  });

  after(async () => {
    await alertmanager?.stop();
    endpoints.server.close();
    await rm(directory, { recursive: true, force: true });
  });

  /** Posts `alerts` and waits for that many more PagerDuty events and Slack messages; resolves with the new ones. */
  async function deliver(alerts: PostedAlert[], expected: { pagerduty: number; slack: number }) {
    const before = { pagerduty: endpoints.pagerduty().length, slack: endpoints.slack().length };
    await am().post(alerts);
    return waitFor(
      `${String(expected.pagerduty)} PagerDuty event(s) and ${String(expected.slack)} Slack message(s)`,
      () => {
        const pagerduty = endpoints.pagerduty().slice(before.pagerduty);
        const slack = endpoints.slack().slice(before.slack);
        return Promise.resolve(
          pagerduty.length >= expected.pagerduty && slack.length >= expected.slack ? { pagerduty, slack } : undefined,
        );
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
  }

  let apiIncident: string | undefined;

  void it('two SLOs of one service paging are one PagerDuty event and one Slack message, naming the environment and each absolute runbook', async () => {
    const { pagerduty, slack } = await deliver(
      togetherAtOnce([page('availability', 'prod'), page('upload-success', 'prod')]),
      { pagerduty: 1, slack: 1 },
    );

    assert.equal(pagerduty.length, 1, 'one PagerDuty event for the service');
    const [event] = pagerduty;
    assert.ok(event);
    assert.equal(event.routing_key, ROUTING_KEY, 'the routing key is read from its file');
    assert.equal(event.event_action, 'trigger');
    assert.match(event.dedup_key, /^[0-9a-f]{64}$/, "one incident per group: Alertmanager's group key, hashed");
    apiIncident = event.dedup_key;
    assert.equal(
      event.payload.summary,
      `[FIRING:2] page prod/api: ApiAvailabilityBudgetBurn ${runbook('prod', 'api-availability')}, ` +
        `ApiUploadSuccessBudgetBurn ${runbook('prod', 'api-upload-success')}`,
    );
    assert.equal(event.payload.severity, 'critical');
    assert.equal(event.payload.component, 'api');
    assert.equal(event.payload.group, 'prod');
    assert.deepEqual(event.payload.custom_details, {
      environment: 'prod',
      service: 'api',
      dashboard: dashboard('prod', 'api'),
      firing:
        `ApiAvailabilityBudgetBurn (api-availability): api-availability is burning its error budget\n` +
        `Runbook: ${runbook('prod', 'api-availability')}\n\n` +
        `ApiUploadSuccessBudgetBurn (api-upload-success): api-upload-success is burning its error budget\n` +
        `Runbook: ${runbook('prod', 'api-upload-success')}`,
      resolved: '',
      num_firing: '2',
      num_resolved: '0',
    });

    assert.equal(slack.length, 1, 'one Slack message for the service');
    const [message] = slack;
    assert.equal(message?.channel, '#platform-pages');
    const [attachment] = message.attachments;
    const title = '[FIRING:2] page prod/api: ApiAvailabilityBudgetBurn, ApiUploadSuccessBudgetBurn';
    assert.deepEqual(
      { title: attachment?.title, title_link: attachment?.title_link, fallback: attachment?.fallback },
      { title, title_link: dashboard('prod', 'api'), fallback: title },
    );
    assert.equal(
      attachment?.text,
      `*FIRING* ApiAvailabilityBudgetBurn (api-availability): api-availability is burning its error budget\n` +
        `Runbook: ${runbook('prod', 'api-availability')}\n\n` +
        `*FIRING* ApiUploadSuccessBudgetBurn (api-upload-success): api-upload-success is burning its error budget\n` +
        `Runbook: ${runbook('prod', 'api-upload-success')}\n\n` +
        `Dashboard: ${dashboard('prod', 'api')}`,
    );
  });

  void it('another service pages as another PagerDuty incident (its own dedup_key)', async () => {
    const { pagerduty } = await deliver([page('availability', 'prod', 'image')], { pagerduty: 1, slack: 1 });
    const [event] = pagerduty;
    assert.equal(
      event?.payload.summary,
      `[FIRING:1] page prod/image: ImageAvailabilityBudgetBurn ${runbook('prod', 'image-availability')}`,
    );
    assert.ok(apiIncident !== undefined, "the api's incident (the test before)");
    assert.notEqual(event.dedup_key, apiIncident);
  });

  void it("a ticket goes to Slack's ticket channel only, with its environment's runbook and dashboard (dev: main)", async () => {
    const { pagerduty, slack } = await deliver([sloAlert({ severity: 'ticket', slo: 'latency', environment: 'dev' })], {
      pagerduty: 0,
      slack: 1,
    });
    const [message] = slack;
    assert.equal(message?.channel, '#platform-slo-tickets');
    const [attachment] = message.attachments;
    assert.ok(attachment);
    assert.equal(attachment.title, '[FIRING:1] ticket dev/api: ApiLatencyBudgetBurn');
    assert.equal(
      attachment.text,
      `*FIRING* ApiLatencyBudgetBurn (api-latency): api-latency is burning its error budget\n` +
        `Runbook: ${runbook('dev', 'api-latency')}\n\n` +
        `Dashboard: ${dashboard('dev', 'api')}`,
    );
    assert.deepEqual(pagerduty, [], 'a ticket never reaches PagerDuty');
  });
});

// A group's resolution goes out only after its group_interval (5 minutes in production), too long to wait for here.
// Its texts are rendered instead by amtool's renderer (Alertmanager's own template package) with the committed
// configuration's templated fields: a resolved group must render, naming what resolved.
void describe('alertmanager.production.yml: a resolved page renders', () => {
  const resolved = (id: string, alertname: string) => ({
    status: 'resolved',
    labels: { alertname, severity: 'page', sloth_id: id, sloth_service: 'api', environment: 'prod' },
    annotations: { summary: `${id} burned`, runbook: `slo/RUNBOOK.md#${id}` },
    startsAt: '2026-01-01T00:00:00Z',
    endsAt: '2026-01-01T00:30:00Z',
  });
  const data = {
    receiver: 'page',
    status: 'resolved',
    alerts: [
      resolved('api-availability', 'ApiAvailabilityBudgetBurn'),
      resolved('api-upload-success', 'ApiUploadSuccessBudgetBurn'),
    ],
    groupLabels: { sloth_service: 'api', environment: 'prod' },
    commonLabels: { severity: 'page', sloth_service: 'api', environment: 'prod' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example',
  };
  type Receiver = {
    name: string;
    pagerduty_configs?: { description: string }[];
    slack_configs?: { title: string; text: string }[];
  };

  void it('names the resolved alerts and their runbooks in the PagerDuty summary and the Slack title and text', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'slo-alertmanager-render-'));
    try {
      const dataFile = join(directory, 'data.json');
      await writeFile(dataFile, JSON.stringify(data));
      const render = (text: string) =>
        execFileSync(
          'amtool',
          [
            'template',
            'render',
            `--template.glob=${join(TEMPLATES_DIR, '*.tmpl')}`,
            `--template.data=${dataFile}`,
            `--template.text=${text}`,
          ],
          { encoding: 'utf8' },
        );
      const config = parse(await readFile(PRODUCTION_CONFIG, 'utf8')) as { receivers: Receiver[] };
      const receiver = config.receivers.find((r) => r.name === 'page');
      const pagerduty = receiver?.pagerduty_configs?.[0];
      const slack = receiver?.slack_configs?.[0];
      assert.ok(pagerduty && slack);
      assert.equal(
        render(pagerduty.description),
        `[RESOLVED] page prod/api: ApiAvailabilityBudgetBurn ${runbook('prod', 'api-availability')}, ` +
          `ApiUploadSuccessBudgetBurn ${runbook('prod', 'api-upload-success')}`,
      );
      assert.equal(
        render(slack.title),
        '[RESOLVED] page prod/api: ApiAvailabilityBudgetBurn, ApiUploadSuccessBudgetBurn',
      );
      assert.equal(
        render(slack.text),
        `*RESOLVED* ApiAvailabilityBudgetBurn (api-availability): api-availability burned\n` +
          `Runbook: ${runbook('prod', 'api-availability')}\n\n` +
          `*RESOLVED* ApiUploadSuccessBudgetBurn (api-upload-success): api-upload-success burned\n` +
          `Runbook: ${runbook('prod', 'api-upload-success')}\n\n` +
          `Dashboard: ${dashboard('prod', 'api')}`,
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
