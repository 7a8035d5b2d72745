import { readFileSync } from 'node:fs';
import { ApiClient } from '@platform/test-client';
import { Agent } from 'undici';
import { parse } from 'yaml';
import { waitFor } from '../../scripts/lib/wait.ts';
import { startFreshStack, type RunningStack } from '../../scripts/local-stack/stack.ts';

/** The SLOs as the Sloth spec declares them: the suite reads its thresholds from the same source. */
export const sloSpec = parse(readFileSync(new URL('../../slo/specs/api.yml', import.meta.url), 'utf8')) as {
  service: string;
  slos: Array<{ name: string; objective: number; alerting: { labels: { category: string } } }>;
};

export const sloId = (name: string) => `${sloSpec.service}-${name}`;

/**
 * A fresh stack with monitoring and the ingress (the edge SLI's source), for one SLO suite file. Without the journey
 * prober: these suites compare every request the edge and the api count with their own clients' tally, and the
 * prober's journeys would be in the counts (e2e/faults/prober.spec.ts tests the prober).
 */
export function startSloStack(stateDir: string, sloRules: 'production' | 'drill'): Promise<RunningStack> {
  return startFreshStack(stateDir, { monitoring: true, ingress: true, noProber: true, sloRules });
}

/**
 * A client of the API through the stack's TLS ingress, where users reach it and the edge SLI counts. Over HTTP/1.1: on
 * one HTTP/2 connection nginx says GOAWAY after 1000 requests (keepalive_requests), and undici fails a request that
 * races it ("fetch failed") where a browser would retry; these suites count every answer, so they take HTTP/1.1, where
 * nginx ends a connection cleanly (Connection: close). The walk-through tests HTTP/2 through the ingress.
 */
export function edgeClient(stack: RunningStack): ApiClient {
  const { ingress } = stack.description;
  if (ingress === null)
    throw new Error('the SLO stack runs no ingress: install nginx and mtail (scripts/tools/install.sh)');
  const dispatcher = new Agent({ connect: { ca: readFileSync(ingress.caCertificate) }, allowH2: false });
  return new ApiClient({ baseUrl: ingress.url, dispatcher });
}

/** Polls until `probe` returns a value, or fails after `timeoutMs`. */
export function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor(`waiting for ${what}`, probe, { timeoutMs, intervalMs: 2_000 });
}
