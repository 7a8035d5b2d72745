// `npm run load`: a longer load run against the running local stack (npm run dev), with a progress
// bar and a summary judged against the thresholds derived from slo/specs/api.yml.
//   npm run load -- [--seconds 60] [--connections 16] [--scenario journey|reads|both]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { errorRatio, percentileMs, runScenario, type Scenario } from './scenarios.ts';
import { sloThresholds } from './thresholds.ts';

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
    'Usage: npm run load -- [--seconds 60] [--connections 16] [--scenario journey|reads|both]\nRuns against the stack of `npm run dev` (.dev/stack.json).',
  );
  process.exit(0);
}
let api: string;
try {
  api = (JSON.parse(readFileSync('.dev/stack.json', 'utf8')) as { services: { api: { url: string } } }).services.api
    .url;
} catch {
  console.error('npm run load: no running stack (.dev/stack.json). Start one with `npm run dev`.');
  process.exit(1);
}

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
process.exit(failed ? 1 : 0);
