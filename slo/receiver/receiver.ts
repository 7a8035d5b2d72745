// A tiny Alertmanager webhook receiver for local runs and the SLO drill: it records every
// notification (one JSON line per notification, appended to a file) and prints each alert's status,
// labels and annotations readably. node:http only, no dependencies.
//
//   POST /<channel>     an Alertmanager webhook payload (version 4); <channel> is e.g. page or ticket
//   GET  /notifications everything received since start, as a JSON array (what a drill polls)
//   GET  /healthz       200 "ok"
import { appendFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
  fingerprint?: string;
}

/** The Alertmanager webhook payload (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
export interface WebhookPayload {
  version?: string;
  groupKey?: string;
  truncatedAlerts?: number;
  status: string;
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL?: string;
  alerts: WebhookAlert[];
}

/** What the receiver records for each notification: one JSON line in the output file. */
export interface RecordedNotification {
  receivedAt: string;
  channel: string;
  payload: WebhookPayload;
}

export interface ReceiverOptions {
  /** JSON-lines file every notification is appended to; none means memory only. */
  outFile?: string;
  /** Where the readable form of each notification goes. */
  print?: (text: string) => void;
  now?: () => Date;
}

export interface Receiver {
  server: Server;
  notifications: RecordedNotification[];
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((entry) => typeof entry === 'string')
  );
}

function isAlert(value: unknown): value is WebhookAlert {
  if (typeof value !== 'object' || value === null) return false;
  const alert = value as Record<string, unknown>;
  return typeof alert.status === 'string' && isStringRecord(alert.labels) && isStringRecord(alert.annotations);
}

/** Checks the shape of a webhook payload; returns an error message, or undefined when it is valid. */
export function validatePayload(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'payload is not a JSON object';
  const payload = value as Record<string, unknown>;
  if (typeof payload.status !== 'string') return 'payload.status is missing';
  if (typeof payload.receiver !== 'string') return 'payload.receiver is missing';
  if (!Array.isArray(payload.alerts) || !payload.alerts.every(isAlert)) {
    return 'payload.alerts must be a list of alerts with status, labels and annotations';
  }
  for (const field of ['groupLabels', 'commonLabels', 'commonAnnotations']) {
    if (!isStringRecord(payload[field])) return `payload.${field} must be an object of strings`;
  }
  return undefined;
}

function formatLabels(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`)
    .join(' ');
}

/** The readable form of one notification, as printed by the receiver. */
export function formatNotification(notification: RecordedNotification): string {
  const { payload } = notification;
  const lines = [
    `[${notification.receivedAt}] /${notification.channel} receiver=${payload.receiver} ` +
      `${payload.status.toUpperCase()} ${String(payload.alerts.length)} alert(s), group {${formatLabels(payload.groupLabels)}}`,
  ];
  for (const alert of payload.alerts) {
    const name = alert.labels.alertname ?? '(no alertname)';
    const since =
      alert.status === 'resolved' && alert.endsAt ? `ended ${alert.endsAt}` : `since ${alert.startsAt ?? '?'}`;
    lines.push(`  ${alert.status.toUpperCase()} ${name} (${since})`);
    const labels = Object.fromEntries(Object.entries(alert.labels).filter(([label]) => label !== 'alertname'));
    lines.push(`    labels: ${formatLabels(labels)}`);
    for (const name of Object.keys(alert.annotations).sort()) {
      lines.push(`    ${name}: ${alert.annotations[name] ?? ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

const CHANNEL = /^\/([A-Za-z0-9_-]+)$/;

export function createReceiver(options: ReceiverOptions = {}): Receiver {
  const notifications: RecordedNotification[] = [];
  const print = options.print ?? ((text: string) => process.stdout.write(text));
  const now = options.now ?? (() => new Date());

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://receiver').pathname;
    if (request.method === 'GET' && path === '/healthz') {
      reply(response, 200, 'ok\n');
      return;
    }
    if (request.method === 'GET' && path === '/notifications') {
      reply(response, 200, notifications);
      return;
    }
    const channel = CHANNEL.exec(path)?.[1];
    if (channel === undefined || channel === 'notifications' || channel === 'healthz') {
      reply(response, 404, { error: `no such endpoint: ${request.method ?? ''} ${path}` });
      return;
    }
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      reply(response, 405, { error: 'webhooks are POSTed' });
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(await readBody(request));
    } catch (error) {
      reply(response, 400, { error: `invalid body: ${(error as Error).message}` });
      return;
    }
    const invalid = validatePayload(payload);
    if (invalid !== undefined) {
      reply(response, 400, { error: invalid });
      return;
    }
    const notification: RecordedNotification = {
      receivedAt: now().toISOString(),
      channel,
      payload: payload as WebhookPayload,
    };
    notifications.push(notification);
    if (options.outFile !== undefined) {
      await appendFile(options.outFile, JSON.stringify(notification) + '\n');
    }
    print(formatNotification(notification));
    reply(response, 200, { ok: true });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, { error: (error as Error).message });
      else response.destroy();
    });
  });
  return { server, notifications };
}

export interface CliOptions {
  host: string;
  port: number;
  outFile: string | undefined;
  help: boolean;
}

export const USAGE = `Usage: node slo/receiver/main.ts [--host HOST] [--port PORT] [--out FILE]

A local Alertmanager webhook receiver. Records every notification it gets (one JSON line each,
appended to FILE) and prints each alert's status, labels and annotations.

  --host HOST   address to listen on        (env SLO_RECEIVER_HOST, default 127.0.0.1)
  --port PORT   port to listen on; 0 = any  (env SLO_RECEIVER_PORT, default 9095)
  --out FILE    JSON-lines file to append notifications to
                                            (env SLO_RECEIVER_OUT, default: none, memory only)
  --help        show this help

Endpoints: POST /page, POST /ticket (any POST /<channel>) take Alertmanager webhook payloads;
GET /notifications lists what was received since start; GET /healthz answers ok.
`;

/** Parses command-line flags over environment defaults; throws on a bad flag or value. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
  const options: CliOptions = {
    host: env.SLO_RECEIVER_HOST ?? '127.0.0.1',
    port: Number(env.SLO_RECEIVER_PORT ?? '9095'),
    outFile: env.SLO_RECEIVER_OUT === '' ? undefined : env.SLO_RECEIVER_OUT,
    help: false,
  };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    if (flag === '--help' || flag === '-h') {
      options.help = true;
      continue;
    }
    const [name, inline] = (flag ?? '').split(/=(.*)/s, 2);
    const value = inline ?? argv[++index];
    if (value === undefined) throw new Error(`${name ?? ''} needs a value`);
    if (name === '--host') options.host = value;
    else if (name === '--port') options.port = Number(value);
    else if (name === '--out') options.outFile = value;
    else throw new Error(`unknown flag: ${flag ?? ''}`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error(`invalid port: ${String(options.port)}`);
  }
  return options;
}
