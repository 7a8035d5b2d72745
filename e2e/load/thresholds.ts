import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

interface SloSpec {
  slos: Array<{ name: string; objective: number; sli: { events: { error_query: string } } }>;
}

const spec = parse(readFileSync(new URL('../../slo/specs/api.yml', import.meta.url), 'utf8')) as SloSpec;

function slo(name: string) {
  const found = spec.slos.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`slo/specs/api.yml has no "${name}" SLO`);
  return found;
}

/**
 * Load-test thresholds, read from the SLO specs rather than retyped: the availability objective
 * bounds the error ratio, and the latency SLO's bucket (le="...") and objective bound the
 * matching percentile of non-upload requests.
 */
export function sloThresholds() {
  const latency = slo('latency');
  const bucket = /le="([\d.]+)"/.exec(latency.sli.events.error_query)?.[1];
  if (bucket === undefined) throw new Error('the latency SLO names no le="..." bucket');
  return {
    maxErrorRatio: (100 - slo('availability').objective) / 100,
    latencyPercentile: latency.objective,
    maxLatencyMs: Number(bucket) * 1_000,
  };
}
