// Writes the absence alerts of each SLO spec (slo/specs/<service>.yml) into a rules directory:
// <rules-dir>/<service>-absence.yml, for production or, with --drill, for the live drill.
//
//   node slo/absence/generate.ts <rules-dir>          production (Sloth's default 30-day windows)
//   node slo/absence/generate.ts <rules-dir> --drill --interval=10s  the drill (slo/windows/drill-30d.yaml)
//
// slo/generate.sh runs it for both variants next to Sloth. Why the alerts exist: Sloth's burn-rate
// alerts read the SLI series, and when the service's pods are gone or hung, or its metrics stop, those
// series vanish: no burn-rate alert can fire and the outage costs no budget. So, per service:
//   <Service>TargetDown  no scrape target of the job its SLIs read is up (every pod gone, crashed, or too
//                        hung to answer a scrape)
//   <Service>SLIAbsent   a target is up but the counter the SLIs read is missing (the metrics pipeline
//                        lost it)
//   <Job>TargetDown      for any other job an SLI reads (the edge's): no target of it is up. No SLIAbsent
//                        for those: the edge's counter exists only once a request has passed, so its
//                        absence means no traffic yet, not a broken pipeline.
// Which job and which counter: the ones the spec's first SLI query selects first (`<counter>{job="<job>"`):
// http_server_request_duration_seconds_count of job "api" for api.yml (its request classes' histograms are
// recorded with it, by the same middleware), prober_journeys_total of job "prober" for journey.yml (the
// prober measures that SLO).
// Each waits as long as a total outage takes to spend the share of the error budget that the fastest
// page condition is sized for (Pyrra's absent-alert duration), for the strictest SLO of the service,
// and at least a minute: a rolling deploy, a restart or a missed scrape never pages, and an outage
// pages no later than the burn-rate alert would have if the series had survived it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readSpecs, ruleInterval, sloDir, type SloSpec, titleOf, writeRulesFile } from '../lib/rules-output.ts';

interface Variant {
  /** The share of the 30-day error budget the fastest page condition fires on, in percent. */
  fastestPageBudgetPercent: number;
  /** Sloth's --extra-labels for the variant. */
  labels: Record<string, string>;
}

const SLO_PERIOD_SECONDS = 30 * 24 * 3600;
const MINIMUM_WAIT_MINUTES = 1;

const [rulesDir] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const drill = process.argv.includes('--drill');
const interval = ruleInterval();
if (rulesDir === undefined) {
  process.stderr.write('usage: node slo/absence/generate.ts <rules-dir> [--drill]\n');
  process.exit(2);
}

async function variant(): Promise<Variant> {
  // Sloth's built-in 30-day catalog: the page's quick condition (14.4x over 1h) spends 2% of the budget.
  if (!drill) return { fastestPageBudgetPercent: 2, labels: {} };
  const windows = parse(await readFile(join(sloDir, 'windows/drill-30d.yaml'), 'utf8')) as {
    spec: { page: { quick: { errorBudgetPercent: number } } };
  };
  return {
    fastestPageBudgetPercent: windows.spec.page.quick.errorBudgetPercent,
    labels: { slo_variant: 'drill' },
  };
}

interface Wait {
  /** The alerts' `for:`, in whole minutes. */
  duration: string;
  /** How it was derived, for the generated file's header. */
  reason: string;
}

/** How long a total outage of the strictest SLO takes to spend the fastest page's share of its budget. */
function absentFor(spec: SloSpec, { fastestPageBudgetPercent }: Variant): Wait {
  const strictest = Math.max(...spec.slos.map((slo) => slo.objective));
  const seconds = (fastestPageBudgetPercent / 100) * SLO_PERIOD_SECONDS * (1 - strictest / 100);
  const duration = `${String(Math.max(MINIMUM_WAIT_MINUTES, Math.floor(seconds / 60)))}m`;
  return {
    duration,
    reason: `a total outage spends the fastest page's ${String(fastestPageBudgetPercent)}% of the ${String(strictest)}% SLO's 30-day budget in ${seconds.toFixed(0)} s; they wait ${duration} (whole minutes, at least ${String(MINIMUM_WAIT_MINUTES)})`,
  };
}

/** What the SLIs of a spec read: the counter of the scrape job the absence alerts watch, and the other jobs read. */
interface SliSources {
  job: string;
  metric: string;
  otherJobs: string[];
}

/** The counter and job the spec's first SLI query selects first, and every other job its SLIs select. */
function sliSources(spec: SloSpec): SliSources {
  const queries = spec.slos.flatMap((slo) =>
    [slo.sli.events.error_query, slo.sli.events.total_query].map((query) => ({ slo: slo.name, query })),
  );
  const [, metric, job] = /([a-zA-Z_:][a-zA-Z0-9_:]*)\{job="([^"]+)"/.exec(queries[0]?.query ?? '') ?? [];
  if (metric === undefined || job === undefined)
    throw new Error(`${spec.file}: its first SLI must select a counter by job ({job="..."}) for the absence alerts`);
  const jobs = new Set<string>();
  for (const { slo, query } of queries) {
    const named = [...query.matchAll(/\{job="([^"]+)"/g)].map((match) => match[1] ?? '');
    if (named.length === 0)
      throw new Error(`${spec.file}: ${slo}: its SLI must select a job="..." for the absence alerts to cover it`);
    for (const other of named) jobs.add(other);
  }
  jobs.delete(job);
  return { job, metric, otherJobs: [...jobs] };
}

/** No target of `job` up: named and linked after the service for its own job, after the job for another. */
const targetDown = (name: string, job: string, labels: object, wait: string): object => ({
  alert: `${titleOf(name)}TargetDown`,
  expr: `absent(up{job="${job}"} == 1)`,
  for: wait,
  labels,
  annotations: {
    summary: `No ${job} target has answered a scrape for ${wait}: every pod is gone, crashed or hung, and its SLIs (and their burn-rate alerts) went with it.`,
    runbook: `slo/RUNBOOK.md#${name}-target-down`,
  },
});

function rules(
  spec: SloSpec,
  { job, metric, otherJobs }: SliSources,
  variantOf: Variant,
  wait: string,
): Record<string, unknown> {
  const title = titleOf(spec.service);
  const labels = {
    ...spec.labels,
    ...variantOf.labels,
    severity: 'page',
    category: 'availability',
    sloth_service: spec.service,
  };
  return {
    groups: [
      {
        name: `${spec.service}-slo-absence`,
        ...(interval === undefined ? {} : { interval }),
        rules: [
          targetDown(spec.service, job, labels, wait),
          {
            alert: `${title}SLIAbsent`,
            expr: `absent(${metric}{job="${job}"}) and on() (count(up{job="${job}"} == 1) > 0)`,
            for: wait,
            labels,
            annotations: {
              summary: `The ${job} answers scrapes but has reported no ${metric} for ${wait}: its SLIs cannot be measured, so no burn-rate alert can fire.`,
              runbook: `slo/RUNBOOK.md#${spec.service}-sli-absent`,
            },
          },
          ...otherJobs.map((other) => targetDown(other, other, labels, wait)),
        ],
      },
    ],
  };
}

const currentVariant = await variant();
for (const spec of await readSpecs()) {
  const source = sliSources(spec);
  const wait = absentFor(spec, currentVariant);
  await writeRulesFile(
    join(rulesDir, `${spec.service}-absence.yml`),
    [
      `Generated from slo/specs/${spec.file} by \`npm run slo:generate\` (slo/absence/generate.ts${drill ? ' --drill' : ''}). Never edit by hand.`,
      `The ${spec.service}'s absence alerts: they page when its SLIs cannot be measured (see the generator).`,
      `Their wait: ${wait.reason}.`,
    ],
    rules(spec, source, currentVariant, wait.duration),
  );
}
