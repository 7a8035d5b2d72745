// The SLO drill on the real node: uploads through the edge while MinIO is stopped (how is the caller's: through git
// in gitops mode). The upload SLO's burn-rate alert (slo/rules-drill: the production specs, windows compressed to
// minutes) must page at the webhook receiver through the in-cluster Alertmanager, having been computed from what
// Prometheus scraped through the NetworkPolicies, and resolve once MinIO is back. Nothing here talks to the rules
// directly: the page is the receiver's record of what Alertmanager sent.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { readText, repoRoot } from '../lib/repo.ts';
import { waitFor } from '../../../scripts/lib/wait.ts';
import type { JourneyOutcome, LargeUploadOutcome } from '../../../services/prober/src/domain/outcomes.ts';
import {
  edgeRequest,
  exec,
  isReady,
  monitoringPod,
  newUserToken,
  pods,
  prometheusQuery,
  prometheusScalar,
} from './support.ts';

const minio = { namespace: 'data-ns', statefulSet: 'minio', selector: 'app.kubernetes.io/name=minio' };
const uploadSlo = `${(parse(readText('slo/specs/api.yml')) as { service: string }).service}-upload-success`;
const png = readFileSync(`${repoRoot}/e2e/fixtures/image.png`);

interface Notification {
  receivedAt: string;
  channel: string;
  payload: { alerts: { status: string; labels: Record<string, string> }[] };
}

/** The 5xx answers to POSTs Traefik's websecure entry point has counted, as the edge SLI reads them (job="edge"):
 * the drill's uploads, and the prober's (its other POST, the login, does not reach MinIO). */
const edgeUploadErrors = () =>
  prometheusScalar('sum(edge_http_requests_total{job="edge",method="POST",code=~"5.."}) or vector(0)');

/** The prober's journeys that ended with `outcome`, as Prometheus scraped them. */
const proberJourneys = (outcome: JourneyOutcome) =>
  prometheusScalar(`sum(prober_journeys_total{job="prober",outcome="${outcome}"}) or vector(0)`);

/** The prober's large uploads that ended with `outcome`, as Prometheus scraped them. */
const proberLargeUploads = (outcome: LargeUploadOutcome) =>
  prometheusScalar(`sum(prober_large_uploads_total{job="prober",outcome="${outcome}"}) or vector(0)`);

/** What the receiver has recorded (one JSON line per notification). */
async function notifications(): Promise<Notification[]> {
  const text = await exec(await monitoringPod('app.kubernetes.io/name=slo-receiver'), [
    'sh',
    '-c',
    'cat /data/notifications.jsonl 2>/dev/null || true',
  ]);
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Notification);
}

const uploadPage = (status: 'firing' | 'resolved') => (n: Notification) =>
  n.channel === 'page' &&
  n.payload.alerts.some(
    (a) => a.status === status && a.labels['sloth_id'] === uploadSlo && a.labels['severity'] === 'page',
  );

async function uploadThroughEdge(token: string): Promise<number> {
  const form = new FormData();
  form.append('file', new Blob([png], { type: 'image/png' }), 'image.png');
  const multipart = new Response(form);
  const body = Buffer.from(await multipart.arrayBuffer());
  const headers = { authorization: `Bearer ${token}`, 'content-type': multipart.headers.get('content-type') ?? '' };
  return (await edgeRequest('POST', '/upload', { headers, body })).status;
}

export interface Fault {
  /** Stops MinIO; resolves once its pod is gone. */
  stop: () => Promise<void>;
  /** Brings MinIO back; resolves once its pod is Ready. */
  start: () => Promise<void>;
}

export interface DrillFigures {
  /** From the fault's start to the page at the receiver, in seconds. */
  pagedAfter: number;
  /** From MinIO's return to the page's resolution, in seconds. */
  resolvedAfter: number;
  ok: number;
  failed: number;
}

/** Waits until MinIO runs `replicas` ready pods (0: none left). */
export async function waitForMinio(replicas: number): Promise<void> {
  await waitFor(
    `MinIO did not reach ${replicas} ready pods`,
    async () => {
      const running = await pods(minio.namespace, minio.selector);
      return replicas === 0 ? running.length === 0 : running.filter(isReady).length === replicas;
    },
    { timeoutMs: 180_000 },
  );
}

/** Healthy uploads, the fault, the page; MinIO back, the resolution. Asserts each step and returns the timings. */
export async function sloDrill(fault: Fault): Promise<DrillFigures> {
  await waitFor(
    'Prometheus does not scrape the api through the NetworkPolicies',
    async () => / => 1 @/.test(await prometheusQuery('up{job="api"}')),
    { timeoutMs: 120_000 },
  );
  // One user per lane: the image service admits two concurrent uploads per account, and a third would be a 429.
  const tokens = await Promise.all(['drill-a', 'drill-b', 'drill-c'].map(newUserToken));
  const outcomes = { ok: 0, failed: 0 };
  const failedStatuses = new Map<number, number>();
  let running = true;
  const traffic = Promise.all(
    tokens.map(async (token) => {
      while (running) {
        const status = await uploadThroughEdge(token).catch(() => 0);
        if (status === 201) outcomes.ok += 1;
        else {
          outcomes.failed += 1;
          failedStatuses.set(status, (failedStatuses.get(status) ?? 0) + 1);
        }
        await sleep(200);
      }
    }),
  );
  try {
    await sleep(30_000); // healthy traffic first, so the windows hold successes too
    const before = { ...outcomes };
    assert.ok(
      before.ok > 0 && before.failed === 0,
      `uploads before the fault: ${before.ok} ok, ${before.failed} failed (status: count ${JSON.stringify([...failedStatuses])}, 0 = no answer)`,
    );
    assert.equal((await notifications()).filter(uploadPage('firing')).length, 0, 'no page before the fault');
    const edgeErrorsBefore = await edgeUploadErrors();
    // The prober's failed uploads: its journeys' and its large uploads' (the edge answered both 5xx).
    const proberFailed = async () => (await proberJourneys('upload_failed')) + (await proberLargeUploads('failed'));
    // Its uploads that ran out of time: answered or not, the edge may have counted them either way.
    const proberTimedOut = async () => (await proberJourneys('timeout')) + (await proberLargeUploads('slow'));
    const proberBefore = { failed: await proberFailed(), timedOut: await proberTimedOut() };

    const failedAt = Date.now();
    await fault.stop();
    const paged = await waitFor(
      'the upload SLO did not page',
      async () => (await notifications()).find(uploadPage('firing')),
      { timeoutMs: 300_000 },
    );

    const recoveredAt = Date.now();
    await fault.start();
    const resolved = await waitFor(
      'the page did not resolve',
      async () => (await notifications()).find(uploadPage('resolved')),
      { timeoutMs: 420_000 },
    );

    assert.ok(outcomes.failed > 0, 'uploads failed while MinIO was down');
    // The edge SLI counted the 5xx the clients got, and the prober's failed uploads, once a scrape has followed the
    // last. The tolerance is the answers nobody got: the clients' broken connections (status 0) and the prober's
    // journeys and large uploads that ran out of time, which the edge may have counted either way.
    running = false;
    await traffic;
    const clientErrors = [...failedStatuses].filter(([status]) => status >= 500).reduce((n, [, count]) => n + count, 0);
    const unanswered = failedStatuses.get(0) ?? 0;
    await waitFor(
      `the edge did not count the clients' ${clientErrors} 5xx uploads and the prober's failed ones`,
      async () => {
        const edge = (await edgeUploadErrors()) - edgeErrorsBefore;
        const prober = (await proberFailed()) - proberBefore.failed;
        const tolerance = unanswered + (await proberTimedOut()) - proberBefore.timedOut;
        if (Math.abs(edge - clientErrors - prober) > tolerance)
          throw new Error(`the edge counted ${edge}, the prober failed ${prober} (tolerance ${tolerance})`);
        return true;
      },
      { timeoutMs: 90_000 },
    );
    const figures = {
      pagedAfter: Math.round((Date.parse(paged.receivedAt) - failedAt) / 1000),
      resolvedAfter: Math.round((Date.parse(resolved.receivedAt) - recoveredAt) / 1000),
      ...outcomes,
    };
    console.log(
      `drill: MinIO stopped -> page in ${figures.pagedAfter} s; back -> resolved in ${figures.resolvedAfter} s (uploads ok ${figures.ok}, failed ${figures.failed})`,
    );
    return figures;
  } finally {
    running = false;
    await traffic;
  }
}
