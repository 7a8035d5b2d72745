import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { waitFor } from '../../scripts/lib/wait.ts';
import { startFreshStack, type RunningStack } from '../../scripts/local-stack/stack.ts';

/** The SLOs as the Sloth spec declares them: the suite reads its thresholds from the same source. */
export const sloSpec = parse(readFileSync(new URL('../../slo/specs/api.yml', import.meta.url), 'utf8')) as {
  service: string;
  slos: Array<{ name: string; objective: number; alerting: { labels: { category: string } } }>;
};

export const sloId = (name: string) => `${sloSpec.service}-${name}`;

/** A fresh stack with monitoring, for one SLO suite file. */
export function startSloStack(stateDir: string, sloRules: 'production' | 'drill'): Promise<RunningStack> {
  return startFreshStack(stateDir, { monitoring: true, sloRules });
}

export async function promQuery(
  prometheus: string,
  expr: string,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const response = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? body.status}`);
  return body.data.result;
}

/** Polls until `probe` returns a value, or fails after `timeoutMs`. */
export function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor(`waiting for ${what}`, probe, { timeoutMs, intervalMs: 2_000 });
}
