// The SLO suites' traffic: the user journey through a client, every answer tallied by status, and the same requests as
// Prometheus counts them, by the api (its own routes, health checks aside) and by the edge. Suites compare the three.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from '@playwright/test';
import { newCredentials, UnexpectedStatus, type ApiClient } from '@platform/test-client';
import { waitFor } from '../../scripts/lib/wait.ts';
import { minus, promQuery } from '../support/prometheus-query.ts';

/** Answers by status ("200", "503", ...); a call that got no answer is tallied under how it broke. */
export type Answers = Record<string, number>;

/**
 * The journey (log in, upload, read back three times, list) in `lanes` parallel lanes, each with its own account, until
 * `keepGoing` says stop. Every answer is tallied; the client's calls throw on any status but the one they expect, which
 * ends that round of the journey (the next one starts over after 50 ms). `seconds`, if given, gets how long each answer
 * took as the client felt it (request sent to body read).
 */
export async function driveTraffic(
  client: ApiClient,
  keepGoing: () => boolean,
  lanes = 4,
  seconds?: number[],
): Promise<Answers> {
  const answers: Answers = {};
  const tally = (key: string, begun: number) => {
    answers[key] = (answers[key] ?? 0) + 1;
    seconds?.push((performance.now() - begun) / 1_000);
  };
  const call = async <T>(expected: number, work: () => Promise<T>): Promise<T> => {
    const begun = performance.now();
    try {
      const result = await work();
      tally(String(expected), begun);
      return result;
    } catch (error) {
      tally(error instanceof UnexpectedStatus ? String(error.status) : `broken: ${String(error)}`.slice(0, 120), begun);
      throw error;
    }
  };
  const lane = async () => {
    const credentials = newCredentials('sli');
    await call(201, () => client.register(credentials));
    while (keepGoing()) {
      try {
        const token = await call(200, () => client.login(credentials));
        const { filename } = await call(201, () => client.upload(token));
        for (let read = 0; read < 3; read += 1) {
          await call(200, async () => (await client.download(token, filename)).arrayBuffer());
        }
        await call(200, () => client.list(token, 10));
      } catch {
        // Tallied above; the caller compares the tally once the traffic is over.
      }
      await sleep(50);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return answers;
}

/** The api's user requests Prometheus has, by status, and by how they ended when they did not end with an answer. */
export async function apiCountedByStatus(prometheus: string): Promise<Answers> {
  const result = await promQuery(
    prometheus,
    'sum by (http_response_status_code, error_type) (http_server_request_duration_seconds_count{job="api",http_route!~"/healthz|/readyz"})',
  );
  return Object.fromEntries(
    result.map(({ metric, value }): [string, number] => [
      [metric['http_response_status_code'], metric['error_type']].filter(Boolean).join(' '),
      Number(value[1]),
    ]),
  );
}

/** The edge's requests Prometheus has, by status code. */
export async function edgeCountedByStatus(prometheus: string): Promise<Answers> {
  const result = await promQuery(prometheus, 'sum by (code) (edge_http_requests_total{job="edge"})');
  return Object.fromEntries(
    result.map(({ metric, value }): [string, number] => [metric['code'] ?? '', Number(value[1])]),
  );
}

/** The api's user requests it timed (arrival to last byte) above `seconds`, and the edge's (nginx's $request_time). */
export async function slowerThan(prometheus: string, seconds: number): Promise<{ api: number; edge: number }> {
  const slow = async (histogram: string, selector: string) => {
    const query = `sum(${histogram}_count{${selector}}) - sum(${histogram}_bucket{${selector},le="${String(seconds)}"})`;
    const [result] = await promQuery(prometheus, query);
    return Number(result?.value[1] ?? 0);
  };
  const [api, edge] = await Promise.all([
    slow('http_server_request_duration_seconds', 'job="api",http_route!~"/healthz|/readyz"'),
    slow('edge_http_request_duration_seconds', 'job="edge"'),
  ]);
  return { api, edge };
}

/**
 * How long after a request is answered the edge's counter may still lack it: nginx logs it as it ends, and mtail reads
 * the log every 250 ms (its default poll interval). A scrape sooner than that can miss it.
 */
const edgeCountingLagSeconds = 1;

/**
 * Waits until Prometheus has scraped the api and the edge since now, late enough for the edge to have counted what was
 * answered before now: a reading taken after it holds every such request (a restarted api's new counters included,
 * whose first scrape may lag the restart).
 */
export async function scrapedSinceNow(prometheus: string): Promise<void> {
  const since = Date.now() / 1_000 + edgeCountingLagSeconds;
  await waitFor(
    'a scrape of the api and the edge',
    async () => {
      // Each job by name: in a stack just started, one may not have been scraped at all yet.
      const scrapes = await promQuery(prometheus, 'timestamp(up{job=~"api|edge"})');
      const scrapedSince = (job: string) =>
        scrapes.some(({ metric, value }) => metric['job'] === job && Number(value[1]) > since);
      return scrapedSince('api') && scrapedSince('edge');
    },
    { timeoutMs: 30_000, intervalMs: 1_000 },
  );
}

/**
 * Waits until Prometheus's counts since `before` (read by `read`) equal `expected`, once a scrape has followed the
 * traffic, and returns what it counted last. `what` names them in the failure.
 */
export async function countedLike(
  read: () => Promise<Answers>,
  before: Answers,
  expected: Answers,
  what = 'the requests Prometheus counted, by status',
): Promise<Answers> {
  let counted: Answers = {};
  await expect
    .poll(async () => (counted = minus(await read(), before)), { message: what, timeout: 30_000, intervals: [2_000] })
    .toEqual(expected);
  return counted;
}

export const total = (answers: Answers) => Object.values(answers).reduce((sum, value) => sum + value, 0);
