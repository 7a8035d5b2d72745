// `npm run load`: a longer load run against the running local stack (npm run dev), with a progress
// bar and a summary judged against the thresholds derived from slo/specs/api.yml, and each service's
// peak resident memory against its chart's memory limit.
//   npm run load -- [--seconds 60] [--connections 16] [--scenario journey|reads|both]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { errorRatio, percentileMs, runScenario, type Scenario } from './scenarios.ts';
import { sloThresholds } from './thresholds.ts';
import { chartMemoryLimitBytes, serviceNames } from '../../scripts/local-stack/service-environments.ts';
import type { StackDescription } from '../../scripts/local-stack/stack.ts';
import { watchPeakRss } from '../bench/memory.ts';
import { servicePids } from '../bench/stack.ts';

const mebibyte = 1024 * 1024;
/** Headroom a service keeps under its memory limit at its peak: the limit is not a target. */
const peakShareOfLimit = 0.75;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    connections: { type: 'string', default: '16' },
    scenario: { type: 'string', default: 'both' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(
    "Usage: npm run load -- [--seconds 60] [--connections 16] [--scenario journey|reads|both]\nRuns against the stack of `npm run dev` (.dev/stack.json). Judges errors and latency against the SLOs\n(slo/specs/api.yml) and each service's peak resident memory against 75% of its chart's memory limit.",
  );
  process.exit(0);
}
let stack: StackDescription;
try {
  stack = JSON.parse(readFileSync('.dev/stack.json', 'utf8')) as StackDescription;
} catch {
  console.error('npm run load: no running stack (.dev/stack.json). Start one with `npm run dev`.');
  process.exit(1);
}
const api = stack.services.api.url;
// Each service's peak resident memory over the whole run, against its chart's memory limit.
const memory = watchPeakRss(servicePids(stack), 100);

const thresholds = sloThresholds();
const scenarios: Scenario[] = values.scenario === 'both' ? ['journey', 'reads'] : [values.scenario as Scenario];
let failed = false;
for (const scenario of scenarios) {
  console.log(`\n${scenario}: ${values.connections} connections for ${values.seconds} s against ${api}`);
  const result = await runScenario(scenario, {
    api,
    seconds: Number(values.seconds),
    connections: Number(values.connections),
    onInstance: (instance) => {
      autocannon.track(instance, { renderProgressBar: process.stdout.isTTY, renderResultsTable: true });
    },
  });
  const errors = errorRatio(result);
  const latencyMs = percentileMs(result, thresholds.latencyPercentile);
  const verdicts = [
    `error ratio ${(errors * 100).toFixed(3)}% (SLO allows ${(thresholds.maxErrorRatio * 100).toFixed(2)}%): ${errors <= thresholds.maxErrorRatio ? 'ok' : 'MISSED'}`,
    ...(scenario === 'reads'
      ? [
          `p${thresholds.latencyPercentile} latency ${latencyMs} ms (SLO: under ${thresholds.maxLatencyMs} ms): ${latencyMs < thresholds.maxLatencyMs ? 'ok' : 'MISSED'}`,
        ]
      : []),
    `throughput ${result.requests.average.toFixed(0)} req/s, ${result.requests.total} requests`,
  ];
  failed ||= verdicts.some((verdict) => verdict.endsWith('MISSED'));
  console.log(verdicts.map((verdict) => `  ${verdict}`).join('\n'));
}
const peaks = memory.stop();
console.log("\nresident memory (peak over the run, against the chart's limit; at most 75% of it):");
for (const service of serviceNames) {
  const { beforeMb, peakMb } = peaks[service];
  const limitMb = chartMemoryLimitBytes(service) / mebibyte;
  const share = peakMb / limitMb;
  failed ||= share > peakShareOfLimit;
  console.log(
    `  ${service.padEnd(6)} ${beforeMb.toFixed(0)} -> peak ${peakMb.toFixed(0)} MiB of ${limitMb.toFixed(0)} MiB (${(share * 100).toFixed(0)}%): ${share <= peakShareOfLimit ? 'ok' : 'MISSED'}`,
  );
}
process.exit(failed ? 1 : 0);
