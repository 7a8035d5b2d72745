// Writes the absence alerts of each SLO spec (slo/specs/<service>.yml) into a rules directory:
// <rules-dir>/<service>-absence.yml, for production or, with --drill, for the live drill.
//
//   node slo/absence/generate.ts <rules-dir>          production (Sloth's default 30-day windows)
//   node slo/absence/generate.ts <rules-dir> --drill --interval=10s  the drill (slo/windows/drill-30d.yaml)
//
// slo/generate.sh runs it for both variants next to Sloth. Why the alerts exist: Sloth's burn-rate
// alerts read the SLI series, and when the service's pods are gone or hung, or its metrics stop, those
// series vanish: no burn-rate alert can fire and the outage costs no budget. So, per service:
//   <Service>TargetDown  no scrape target of the service's job is up (every pod gone, crashed, or too
//                        hung to answer a scrape)
//   <Service>SLIAbsent   a target is up but the request counter every SLI reads is missing (the
//                        metrics pipeline lost it)
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
/** The request counter of the histogram the SLIs read, as long as a target of the job is up. */
const SLI_METRIC = 'http_server_request_duration_seconds_count';
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

function checkSelectors(file: string, spec: SloSpec): void {
  for (const slo of spec.slos) {
    for (const query of [slo.sli.events.error_query, slo.sli.events.total_query]) {
      if (!query.includes(`{job="${spec.service}"`))
        throw new Error(
          `${file}: ${slo.name}: its SLI must read job="${spec.service}" for the absence alerts to cover it`,
        );
    }
  }
}

function rules(spec: SloSpec, variantOf: Variant, wait: string): Record<string, unknown> {
  const job = spec.service;
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
          {
            alert: `${title}TargetDown`,
            expr: `absent(up{job="${job}"} == 1)`,
            for: wait,
            labels,
            annotations: {
              summary: `No ${spec.service} target has answered a scrape for ${wait}: every pod is gone, crashed or hung, and its SLIs (and their burn-rate alerts) went with it.`,
              runbook: `slo/RUNBOOK.md#${spec.service}-target-down`,
            },
          },
          {
            alert: `${title}SLIAbsent`,
            expr: `absent(${SLI_METRIC}{job="${job}"}) and on() (count(up{job="${job}"} == 1) > 0)`,
            for: wait,
            labels,
            annotations: {
              summary: `The ${spec.service} answers scrapes but has reported no ${SLI_METRIC} for ${wait}: its SLIs cannot be measured, so no burn-rate alert can fire.`,
              runbook: `slo/RUNBOOK.md#${spec.service}-sli-absent`,
            },
          },
        ],
      },
    ],
  };
}

const currentVariant = await variant();
for (const spec of await readSpecs()) {
  checkSelectors(spec.file, spec);
  const wait = absentFor(spec, currentVariant);
  await writeRulesFile(
    join(rulesDir, `${spec.service}-absence.yml`),
    [
      `Generated from slo/specs/${spec.file} by \`npm run slo:generate\` (slo/absence/generate.ts${drill ? ' --drill' : ''}). Never edit by hand.`,
      `The ${spec.service}'s absence alerts: they page when its SLIs cannot be measured (see the generator).`,
      `Their wait: ${wait.reason}.`,
    ],
    rules(spec, currentVariant, wait.duration),
  );
}
