// Conformance: for each failure mode, injected under traffic, the SLIs in Prometheus count what the clients saw. The
// edge (job="edge") must count every answer the clients got, status by status; the api (job="api") every answer it
// gave itself, which is all of them unless the mode is the api's own absence (then only the edge can speak for the
// clients: the api's counters die with its process). A frozen api fails nobody but keeps them waiting: there the edge
// must also time what the clients waited. Whether each mode then pages within its bounds is the drill's (drill.spec.ts:
// S3 down, api frozen, api down). A table per mode is printed and attached to the report.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from '@playwright/test';
import { generatedImage, mebibyte, streamedImage } from '@platform/test-client';
import type { RunningStack } from '../../scripts/local-stack/stack.ts';
import { slowUpload } from '../faults/support.ts';
import { outages, type Outage } from './outages.ts';
import { edgeClient, startSloStack } from './support.ts';
import {
  apiCountedByStatus,
  countedLike,
  driveTraffic,
  edgeCountedByStatus,
  scrapedSinceNow,
  slowerThan,
  total,
  type Answers,
} from './traffic.ts';

let stack: RunningStack;
test.beforeAll(async () => {
  stack = await startSloStack('.dev/slo-conformance', 'production');
});
test.afterAll(async () => {
  await stack.stop();
  console.log(`conformance (answers by status: clients | edge SLI | api SLI):\n${rows.join('\n')}`);
});

/** Healthy traffic around each fault, and how long the fault lasts under it. */
const HEALTHY_MS = 4_000;
const FAULT_MS = 8_000;

interface FailureMode {
  name: string;
  inject: Outage;
  /** Whether the api's own counters survive the mode (they do not when its process is stopped). */
  apiCounts: boolean;
}

const MODES: FailureMode[] = [
  { name: 'S3 down', apiCounts: true, inject: outages.s3 },
  { name: 'PostgreSQL down', apiCounts: true, inject: outages.postgres },
  { name: 'auth down', apiCounts: true, inject: outages.auth },
  { name: 'image down', apiCounts: true, inject: outages.image },
  { name: 'api down', apiCounts: false, inject: outages.api },
];

const rows: string[] = [];
const show = (answers: Answers) => JSON.stringify(answers);
/** A mode's row: in the table printed at the end, and in the report. */
const addRow = (row: string) => {
  rows.push(row);
  test.info().annotations.push({ type: 'conformance', description: row });
};
const prometheusOf = ({ description }: RunningStack) => {
  if (description.prometheus === null) throw new Error('the SLO stack runs no Prometheus (scripts/tools/install.sh)');
  return description.prometheus;
};

for (const mode of MODES) {
  test(`${mode.name}: the edge counts every answer the clients got${mode.apiCounts ? ', the api every one it gave' : ''}`, async () => {
    const prometheus = prometheusOf(stack);
    // The mode before may have restarted the api: count from a scrape of its new counters.
    await scrapedSinceNow(prometheus.url);
    const apiBefore = await apiCountedByStatus(prometheus.url);
    const edgeBefore = await edgeCountedByStatus(prometheus.url);

    let running = true;
    const traffic = driveTraffic(edgeClient(stack), () => running, 3);
    await sleep(HEALTHY_MS);
    const end = await mode.inject(stack);
    await sleep(FAULT_MS);
    await end();
    await sleep(HEALTHY_MS);
    running = false;
    const answers = await traffic;

    const failed = total(answers) - (answers['200'] ?? 0) - (answers['201'] ?? 0);
    const edge = await countedLike(() => edgeCountedByStatus(prometheus.url), edgeBefore, answers);
    const api = mode.apiCounts ? await countedLike(() => apiCountedByStatus(prometheus.url), apiBefore, answers) : {};
    const row = `${mode.name.padEnd(16)} ${show(answers)} | ${show(edge)} | ${mode.apiCounts ? show(api) : 'restarted: its counters start over; the edge speaks for the clients'}`;
    addRow(row);
    expect(failed, 'answers the fault turned into errors').toBeGreaterThan(0);
  });
}

// A frozen api (SIGSTOP: its sockets accept, nothing answers) fails nobody: its requests wait in the kernel and are
// answered once it thaws. What the clients feel is the wait, and only the edge times all of it: the api starts its clock
// when it reads a request, so one sent during the freeze looks fast to it (the table shows how many it missed; most
// requests in flight when it froze it had already read). Each lane waits on one request
// for the whole freeze, far from the threshold either way; one may still straddle it (the client's clock and nginx's
// differ by the loopback). ApiTargetDown pages for the freeze itself (drill.spec.ts).
const SLOW_S = 1;
const FROZEN_LANES = 6;
const SLOW_TOLERANCE = 1;

test('api frozen: the edge counts every answer the clients got and every one they waited for; the api every answer it gave', async () => {
  const prometheus = prometheusOf(stack);
  await scrapedSinceNow(prometheus.url);
  const apiBefore = await apiCountedByStatus(prometheus.url);
  const edgeBefore = await edgeCountedByStatus(prometheus.url);
  const slowBefore = await slowerThan(prometheus.url, SLOW_S);

  let running = true;
  const seconds: number[] = [];
  const traffic = driveTraffic(edgeClient(stack), () => running, FROZEN_LANES, seconds);
  await sleep(HEALTHY_MS);
  const pid = stack.description.services.api.pid;
  if (pid === undefined) throw new Error('the conformance stack runs no api process');
  process.kill(pid, 'SIGSTOP');
  try {
    await sleep(FAULT_MS);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await sleep(HEALTHY_MS);
  running = false;
  const answers = await traffic;

  const edge = await countedLike(() => edgeCountedByStatus(prometheus.url), edgeBefore, answers);
  const api = await countedLike(() => apiCountedByStatus(prometheus.url), apiBefore, answers);
  const clientsSlow = seconds.filter((taken) => taken > SLOW_S).length;
  const slowAfter = await slowerThan(prometheus.url, SLOW_S);
  const slow = { edge: slowAfter.edge - slowBefore.edge, api: slowAfter.api - slowBefore.api };
  addRow(
    `${'api frozen'.padEnd(16)} ${show(answers)} | ${show(edge)} | ${show(api)}; over ${String(SLOW_S)} s: clients ${String(clientsSlow)} | edge ${String(slow.edge)} | api ${String(slow.api)} (it times a request from when it reads it)`,
  );
  expect(clientsSlow, 'every lane waited for the thaw').toBeGreaterThanOrEqual(FROZEN_LANES);
  expect(Math.abs(slow.edge - clientsSlow), 'the edge times what the clients waited').toBeLessThanOrEqual(
    SLOW_TOLERANCE,
  );
});

// A download we cut after its 200 went out: the image service stopped (a deploy) while a slow client was still reading,
// its grace spent, its connections closed. The api records the cut as response_incomplete, an error for the
// availability SLI. The edge cannot: nginx logs the 200 it had passed on, and its log has nothing that says the body
// was short, so it counts a success. The api's SLI is the one that speaks for these clients.
test('a download cut mid-body: the api counts each as an error, response_incomplete; the edge counts the 200 it passed on', async () => {
  const prometheus = prometheusOf(stack);
  const client = edgeClient(stack);
  const { token } = await client.newAccount('conformance-cut');
  const size = longerThanTheSocketsHold();
  const { filename } = await client.upload(token, streamedImage(generatedImage(size), { size }));
  await scrapedSinceNow(prometheus.url);
  const apiBefore = await apiCountedByStatus(prometheus.url);
  const edgeBefore = await edgeCountedByStatus(prometheus.url);

  const cuts = 2;
  const readers = await Promise.all(
    Array.from({ length: cuts }, async () => {
      const body = (await client.download(token, filename)).body;
      if (body === null) throw new Error('a download without a body');
      const reader = body.getReader();
      await reader.read(); // the 200 and the first bytes are here; the client now stops reading
      return reader;
    }),
  );
  const restart = await outages.image(stack);
  await restart();
  const received = await Promise.all(readers.map(readToTheEnd));
  const answers: Answers = {};
  for (const { bytes, error } of received) {
    const key = error === undefined ? `whole (${String(bytes)} bytes)` : 'cut';
    answers[key] = (answers[key] ?? 0) + 1;
  }
  expect(answers, 'every download was cut short').toEqual({ cut: cuts });

  const api = await countedLike(() => apiCountedByStatus(prometheus.url), apiBefore, {
    '200 response_incomplete': cuts,
  });
  const edge = await countedLike(() => edgeCountedByStatus(prometheus.url), edgeBefore, { '200': cuts });
  addRow(`${'download cut'.padEnd(16)} ${show(answers)} | ${show(edge)} | ${show(api)}`);
});

// The bytes the kernel may hold between the image service and a client that stopped reading: on each hop (image -> api
// -> nginx -> client) a sender's and a receiver's socket buffer, each at most its tcp_wmem or tcp_rmem ceiling, which
// autotuning approaches while the client still reads fast. A body longer than all of them, with a margin for the
// processes' own small buffers, is still being sent when the image service stops: the cut is certain, not a race (a
// 64 MiB body once fitted, with ceilings of 32 and 4 MiB, and arrived whole).
const socketHops = 3;
function longerThanTheSocketsHold(): number {
  const ceiling = (name: string) => {
    const [, , max] = readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/).map(Number);
    if (max === undefined || !Number.isSafeInteger(max)) throw new Error(`cannot read the ceiling of ${name}`);
    return max;
  };
  return socketHops * (ceiling('tcp_rmem') + ceiling('tcp_wmem')) + 16 * mebibyte;
}

/** Reads a body to its end: how many bytes came, and the error that ended it early, if one did. */
async function readToTheEnd(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<{ bytes: number; error?: unknown }> {
  let bytes = 0;
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) bytes += chunk.value.byteLength;
    return { bytes };
  } catch (error) {
    return { bytes, error };
  }
}

test('a client that leaves mid-upload: the edge and the api count it alike, as the client leaving, never as an error', async () => {
  const prometheus = prometheusOf(stack);
  const client = edgeClient(stack);
  await scrapedSinceNow(prometheus.url);
  const apiBefore = await apiCountedByStatus(prometheus.url);
  const edgeBefore = await edgeCountedByStatus(prometheus.url);

  const leaving = 3;
  for (let upload = 0; upload < leaving; upload += 1) {
    // An account each: the one before may still hold one of its account's two upload slots while the api finds out.
    const { token } = await client.newAccount('conformance-abort');
    const slow = slowUpload(client, token, { totalBytes: 16 * mebibyte });
    await expect.poll(() => slow.sent(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2 * mebibyte);
    slow.abort();
    expect(await slow.result, 'the client left before any answer').toHaveProperty('error');
  }
  // The accounts' registrations and logins, then the departures, which are never answers the client got, and never
  // errors. Each side counts a departure as 499 (the client left first; the api adds client_closed_request) or as 400:
  // through HTTP/2, nginx may end the upload's body for the api when the client resets its stream, and the api then
  // answers the truncated multipart body with a 400 that nginx logs too. Either way it is in the availability totals
  // as a client error, and never a 5xx.
  const departures = (answers: Answers): Answers => {
    const { '400': unread = 0, '499': closed = 0, '499 client_closed_request': left = 0, ...rest } = answers;
    const departed = unread + closed + left;
    return departed === 0 ? rest : { ...rest, 'left (400 or 499)': departed };
  };
  const expected = { '200': leaving, '201': leaving, 'left (400 or 499)': leaving };
  const count = (read: (url: string) => Promise<Answers>, before: Answers) =>
    countedLike(async () => departures(await read(prometheus.url)), departures(before), expected);
  const edge = await count(edgeCountedByStatus, edgeBefore);
  const api = await count(apiCountedByStatus, apiBefore);
  const row = `${'client leaves'.padEnd(16)} ${show({ '200': leaving, '201': leaving, left: leaving })} | ${show(edge)} | ${show(api)}`;
  addRow(row);
});
