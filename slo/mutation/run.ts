// Mutation testing of the generated SLO rules: is every part of them pinned by a promtool test?
//
//   node slo/mutation/run.ts            every mutation once per rules file (npm run test:slo:static)
//   node slo/mutation/run.ts --per-slo  every mutation once per SLO of each rules file (four times slower)
//   node slo/mutation/run.ts --target=journey-prod  only that target (repeatable), for a quick look
//
// Each mutant is a copy of one generated rules file (TARGETS: the API's and the journey's, production
// and drill, and their absence and budget alerts) with one mutation applied
// (a window length, a burn factor, `or vector(0)`, a selector, an objective or budget constant, `and`
// between alert windows...). It is written to a scratch directory next to the variant's
// promtool test groups, each a file of its own whose rule_files names the mutant, and `promtool test
// rules` runs them one at a time until one fails. A group that tests one SLO's alerts reads that SLO's
// rule groups alone (Sloth's are self-contained per SLO: a fifth of a second instead of a second), and
// runs only for mutants that change that SLO's rules (on any other it reads the very rules the baseline
// passed, so it cannot kill it); those go first, then the groups that have killed most per second (so the
// minute-long production long-window test runs only for the mutants nothing cheaper kills). A
// mutant no group fails SURVIVED, and the run exits 1: strengthen the tests (slo/tests/generate.ts),
// never drop the mutation, unless it is equivalent (say why next to it). The unmutated rules must pass
// every group first. promtool runs two at a time. Needs promtool on the PATH (slo/test.sh puts it there).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';

const run = promisify(execFile);

interface Target {
  name: string;
  /** Which mutations apply (Mutation.only): Sloth's production or drill rules, or an absence or budget file. */
  kind: 'prod' | 'drill' | 'absence' | 'budget';
  /** The rules file, relative to the repository; the test files name it as ../<dir>/<file>. */
  rules: string;
  /** The variant's promtool test files. */
  tests: string[];
}

const TARGETS: Target[] = [
  {
    name: 'prod',
    kind: 'prod',
    rules: 'slo/rules/api.yml',
    tests: ['slo/tests/api.prod.test.yml', 'slo/tests/api.prod-long.test.yml'],
  },
  {
    name: 'drill',
    kind: 'drill',
    rules: 'slo/rules-drill/api.yml',
    tests: ['slo/tests/api.drill.test.yml', 'slo/tests/api.drill-long.test.yml'],
  },
  {
    name: 'absence',
    kind: 'absence',
    rules: 'slo/rules/api-absence.yml',
    tests: ['slo/tests/api-absence.prod.test.yml'],
  },
  {
    name: 'budget',
    kind: 'budget',
    rules: 'slo/rules/api-budget.yml',
    tests: ['slo/tests/api-budget.prod.test.yml'],
  },
  // The journey SLO (slo/specs/journey.yml): its promtool files are small, so its mutants add seconds, not minutes.
  {
    name: 'journey-prod',
    kind: 'prod',
    rules: 'slo/rules/journey.yml',
    tests: [
      'slo/tests/journey.prod.test.yml',
      'slo/tests/journey-outcomes.prod.test.yml',
      'slo/tests/journey.prod-long.test.yml',
    ],
  },
  {
    name: 'journey-drill',
    kind: 'drill',
    rules: 'slo/rules-drill/journey.yml',
    tests: ['slo/tests/journey.drill.test.yml', 'slo/tests/journey.drill-long.test.yml'],
  },
  {
    name: 'journey-absence',
    kind: 'absence',
    rules: 'slo/rules/journey-absence.yml',
    tests: ['slo/tests/journey-absence.prod.test.yml'],
  },
];

interface Mutation {
  name: string;
  /** Every match in the mutated scope is replaced (a string matches literally). */
  pattern: string | RegExp;
  replacement: string;
  /** Only rules of this kind (the window mutations name windows one variant has). */
  only?: Target['kind'];
}

/** The 30-day SLI rule rewritten as Sloth's "optimized" mean of the shortest window's ratios. */
function meanOfRatios(shortest: string, only: Target['kind']): Mutation {
  const ratios = `slo:sli_error:ratio_rate${shortest}{sloth_id="$3"}[30d]`;
  return {
    name: `30d SLI -> mean of the ${shortest} ratios`,
    pattern:
      /(record: slo:sli_error:ratio_rate30d\n\s+expr: \|\n)[\s\S]*?(\n\s+labels:\n(?:\s+slo_variant: drill\n)?\s+sloth_id: (\S+))/g,
    replacement: `$1      sum_over_time(${ratios}) / ignoring (sloth_window) count_over_time(${ratios})$2`,
    only,
  };
}

/** A TargetDown alert of `job` made to fire on any target down, or only once no target is left at all. */
function targetDownMutations(name: string, job: string): Mutation[] {
  const expression = `absent(up{job="${job}"} == 1)`;
  return [
    {
      name: `${name}: any target down`,
      pattern: expression,
      replacement: `(min(up{job="${job}"}) == 0 or absent(up{job="${job}"}))`,
      only: 'absence',
    },
    {
      name: `${name}: no target at all`,
      pattern: expression,
      replacement: `absent(up{job="${job}"})`,
      only: 'absence',
    },
  ];
}

const MUTATIONS: Mutation[] = [
  // SLI window lengths (production: Sloth's 30-day windows).
  { name: 'window 5m -> 10m', pattern: '[5m]', replacement: '[10m]', only: 'prod' },
  { name: 'window 30m -> 1h', pattern: '[30m]', replacement: '[1h]', only: 'prod' },
  { name: 'window 1h -> 2h', pattern: '[1h]', replacement: '[2h]', only: 'prod' },
  { name: 'window 2h -> 3h', pattern: '[2h]', replacement: '[3h]', only: 'prod' },
  { name: 'window 6h -> 4h', pattern: '[6h]', replacement: '[4h]', only: 'prod' },
  { name: 'window 1d -> 2d', pattern: '[1d]', replacement: '[2d]', only: 'prod' },
  { name: 'window 3d -> 2d', pattern: '[3d]', replacement: '[2d]', only: 'prod' },
  { name: 'window 30d -> 7d', pattern: '[30d]', replacement: '[7d]', only: 'prod' },
  // The drill's compressed windows. Its long test covers 8 hours, so a 30-day window there reads every
  // sample, and [30d] -> [7d] would be equivalent under the test: the drill's 30 days shrink to 4 hours.
  { name: 'window 1m -> 2m', pattern: '[1m]', replacement: '[2m]', only: 'drill' },
  { name: 'window 6m -> 5m', pattern: '[6m]', replacement: '[5m]', only: 'drill' },
  { name: 'window 12m -> 10m', pattern: '[12m]', replacement: '[10m]', only: 'drill' },
  { name: 'window 36m -> 30m', pattern: '[36m]', replacement: '[30m]', only: 'drill' },
  { name: 'window 2h24m -> 2h', pattern: '[2h24m]', replacement: '[2h]', only: 'drill' },
  { name: 'window 7h12m -> 6h', pattern: '[7h12m]', replacement: '[6h]', only: 'drill' },
  { name: 'window 30d -> 4h', pattern: '[30d]', replacement: '[4h]', only: 'drill' },
  // Which SLI window an alert condition reads.
  { name: 'ticket reads 3d for 1d', pattern: 'ratio_rate1d{', replacement: 'ratio_rate3d{', only: 'prod' },
  { name: 'ticket reads 6h for 3d', pattern: 'ratio_rate3d{', replacement: 'ratio_rate6h{', only: 'prod' },
  { name: 'page reads 30m for 1h', pattern: 'ratio_rate1h{', replacement: 'ratio_rate30m{', only: 'prod' },
  { name: 'ticket reads 36m for 7h12m', pattern: 'ratio_rate7h12m{', replacement: 'ratio_rate36m{', only: 'drill' },
  // Burn-rate factors and the budget in the alert thresholds.
  { name: 'factor 14.4 -> 12', pattern: '(14.4 * ', replacement: '(12 * ' },
  { name: 'factor 6 -> 5', pattern: '(6 * ', replacement: '(5 * ' },
  { name: 'factor 3 -> 2', pattern: '(3 * ', replacement: '(2 * ' },
  { name: 'factor 1 -> 2', pattern: '(1 * ', replacement: '(2 * ' },
  { name: 'alert budget / 10', pattern: / \* 0\.0/g, replacement: ' * 0.00' },
  // How the two windows of a condition, and the two conditions of an alert, combine.
  { name: 'and -> or between windows', pattern: /\n(\s+)and\n/g, replacement: '\n$1or\n' },
  { name: 'or -> and between conditions', pattern: /\n(\s+)or\n/g, replacement: '\n$1and\n' },
  { name: 'severity page -> ticket', pattern: 'severity: page', replacement: 'severity: ticket' },
  // The SLI queries.
  { name: 'drop or vector(0)', pattern: ' or vector(0)', replacement: '' },
  { name: 'drop job="api"', pattern: 'job="api",', replacement: '' },
  { name: 'drop job="edge"', pattern: 'job="edge",', replacement: '' },
  { name: 'edge counts the clients that left', pattern: ',code!="499"', replacement: '' },
  { name: '5xx -> 4xx', pattern: '=~"5.."', replacement: '=~"4.."' },
  { name: 'count health checks', pattern: '/healthz|/readyz|unmatched"', replacement: 'unmatched"' },
  { name: 'count unknown paths', pattern: '|unmatched"', replacement: '"' },
  { name: 'count preflights', pattern: ',http_request_method!="OPTIONS"', replacement: '' },
  { name: 'count non-POST uploads and logins', pattern: ',http_request_method="POST"', replacement: '' },
  {
    name: 'latency counts uploads',
    pattern: '"/upload|/login|/healthz|/readyz|unmatched"',
    replacement: '"/login|/healthz|/readyz|unmatched"',
  },
  { name: 'latency counts logins', pattern: '|/login|', replacement: '|' },
  { name: 'drop route /upload', pattern: ',http_route="/upload"', replacement: '' },
  { name: 'drop route /login', pattern: ',http_route="/login"', replacement: '' },
  { name: 'latency bucket 0.3 -> 2.5', pattern: 'le="0.3"', replacement: 'le="2.5"' },
  {
    name: 'latency to the last byte, not the first',
    pattern: 'http_server_response_time_to_first_byte_seconds',
    replacement: 'http_server_request_duration_seconds',
  },
  {
    name: 'upload commit timed from the first byte of the body',
    pattern: 'http_server_request_commit_duration_seconds',
    replacement: 'http_server_request_duration_seconds',
  },
  { name: 'login latency bucket 1 -> 2.5', pattern: 'le="1"', replacement: 'le="2.5"' },
  // The 30-day SLI is errors over requests; averaging the shortest window's ratios is what it replaced.
  meanOfRatios('5m', 'prod'),
  meanOfRatios('1m', 'drill'),
  // The metadata and burn-rate rules.
  { name: 'objective 0.99x -> 0.9x', pattern: /vector\(0\.99/g, replacement: 'vector(0.9' },
  { name: 'budget 1-0.99x -> 1-0.9x', pattern: /vector\(1-0\.99/g, replacement: 'vector(1-0.9' },
  // The large-upload throughput SLO's 95%, which the two above do not match.
  { name: 'objective 0.95 -> 0.9', pattern: 'vector(0.95)', replacement: 'vector(0.9)' },
  { name: 'budget 1-0.95 -> 1-0.9', pattern: 'vector(1-0.95)', replacement: 'vector(1-0.9)' },
  { name: 'period 30 -> 28 days', pattern: 'vector(30)', replacement: 'vector(28)' },
  {
    name: 'burn rate / -> *',
    pattern: '/ on(sloth_id, sloth_slo, sloth_service)',
    replacement: '* on(sloth_id, sloth_slo, sloth_service)',
  },
  { name: 'budget remaining 1 - -> 1 +', pattern: '1 - slo:period_burn_rate', replacement: '1 + slo:period_burn_rate' },
  // The absence alerts (slo/absence/generate.ts).
  { name: 'absence wait 1m -> 2m', pattern: 'for: 1m', replacement: 'for: 2m', only: 'absence' },
  { name: 'absence wait 1m -> none', pattern: 'for: 1m', replacement: 'for: 0s', only: 'absence' },
  ...targetDownMutations('target down', 'api'),
  ...targetDownMutations('edge target down', 'edge'),
  {
    name: 'SLI absent: no up guard',
    pattern: / and on\(\) \(count\(up\{job="api"\} == 1\) > 0\)/g,
    replacement: '',
    only: 'absence',
  },
  {
    name: 'SLI absent: reads the buckets',
    pattern: 'absent(http_server_request_duration_seconds_count',
    replacement: 'absent(http_server_request_duration_seconds_bucket',
    only: 'absence',
  },
  // The error budget policy's alert (slo/budget/generate.ts).
  { name: 'budget spent: <= 0 -> < 0', pattern: '<= 0', replacement: '< 0', only: 'budget' },
  { name: 'budget wait 5m -> 10m', pattern: 'for: 5m', replacement: 'for: 10m', only: 'budget' },
  { name: 'budget wait 5m -> none', pattern: 'for: 5m', replacement: 'for: 0s', only: 'budget' },
  { name: 'budget of any service', pattern: '{sloth_service="api"}', replacement: '', only: 'budget' },
  { name: 'budget ticket -> page', pattern: 'severity: ticket', replacement: 'severity: page', only: 'budget' },
  { name: 'absence: job="api" -> any job', pattern: '{job="api"}', replacement: '', only: 'absence' },
  // The journey SLO's SLI (slo/specs/journey.yml) and absence alerts.
  { name: 'journey: delete_failed is an error', pattern: '|delete_failed"', replacement: '"' },
  { name: 'journey: success is an error', pattern: 'outcome!~"success|', replacement: 'outcome!~"' },
  { name: 'journey: errors are any outcome', pattern: ',outcome!~"success|delete_failed"', replacement: '' },
  { name: 'drop job="prober"', pattern: 'job="prober",', replacement: '' },
  // The large-upload throughput SLO's SLI (slo/specs/journey.yml): only `fast` is good.
  { name: 'large uploads: slow is good', pattern: 'outcome!="fast"', replacement: 'outcome="failed"' },
  { name: 'large uploads: failed is good', pattern: 'outcome!="fast"', replacement: 'outcome="slow"' },
  { name: 'large uploads: errors are any outcome', pattern: ',outcome!="fast"', replacement: '' },
  {
    name: 'large uploads: reads the journeys',
    pattern: 'prober_large_uploads_total',
    replacement: 'prober_journeys_total',
  },
  { name: 'journey absence wait 4m -> 5m', pattern: 'for: 4m', replacement: 'for: 5m', only: 'absence' },
  { name: 'journey absence wait 4m -> 3m', pattern: 'for: 4m', replacement: 'for: 3m', only: 'absence' },
  { name: 'absence: job="prober" -> any job', pattern: '{job="prober"}', replacement: '', only: 'absence' },
  {
    name: 'journey SLI absent: reads another counter',
    pattern: 'absent(prober_journeys_total',
    replacement: 'absent(prober_journey_duration_seconds_count',
    only: 'absence',
  },
];

interface Mutant {
  id: string;
  target: Target;
  mutation: Mutation;
  text: string;
  /** The rules it changes: record or alert name, and the SLO. */
  rules: string[];
  /** The SLOs whose rules it changes. */
  slos: Set<string>;
}

interface Outcome {
  mutant: Mutant;
  /** The test file that failed it, or undefined: it survived. */
  killedBy: string | undefined;
  seconds: number;
}

const perSlo = process.argv.includes('--per-slo');
const onlyTargets = process.argv
  .filter((arg) => arg.startsWith('--target='))
  .map((arg) => arg.slice('--target='.length));
const targets = onlyTargets.length === 0 ? TARGETS : TARGETS.filter((target) => onlyTargets.includes(target.name));
const repo = new URL('../../', import.meta.url).pathname;

/** The rules file as its rule groups: [name, text] (the header before the first group has name ''). */
function ruleGroups(text: string): [string, string][] {
  const parts = text.split(/^(?=- name: )/m);
  return parts.map((part) => [/^- name: (\S+)/.exec(part)?.[1] ?? '', part]);
}

/** The rules of a group's text, by their record or alert name (alerts of one name: in order, #1, #2). */
function rules(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of text.split(/^(?= {2}- (?:record|alert): )/m).slice(1)) {
    const name = /^ {2}- (?:record|alert): (\S+)/.exec(part)?.[1] ?? '?';
    let key = name;
    for (let index = 2; found.has(key); index += 1) key = `${name} #${String(index)}`;
    found.set(key, part);
  }
  return found;
}

function apply(text: string, mutation: Mutation): string {
  const { pattern, replacement } = mutation;
  return typeof pattern === 'string' ? text.replaceAll(pattern, replacement) : text.replace(pattern, replacement);
}

/** The SLO a Sloth group belongs to: sloth-slo-<kind>-recordings-<id> or sloth-slo-alerts-<id>. */
function sloOf(group: string): string {
  return group.replace(/^sloth-slo-(?:sli-recordings|meta-recordings|alerts)-/, '');
}

/** The SLOs of a rules file: Sloth's, by id (a file of other rules gives its groups' names, which no test is named after). */
function slosOf(text: string): string[] {
  return [
    ...new Set(
      ruleGroups(text)
        .map(([name]) => name)
        .filter(Boolean)
        .map(sloOf),
    ),
  ];
}

/** The rules file with only the rule groups of one SLO. */
function onlySlo(text: string, slo: string): string {
  return ruleGroups(text)
    .filter(([name]) => name === '' || sloOf(name) === slo)
    .map(([, part]) => part)
    .join('');
}

function mutants(target: Target, original: string): Mutant[] {
  const parts = ruleGroups(original);
  const slos = slosOf(original);
  const scopes: (string | undefined)[] = perSlo ? slos : [undefined];
  const found: Mutant[] = [];
  for (const mutation of MUTATIONS) {
    if (mutation.only !== undefined && mutation.only !== target.kind) continue;
    for (const slo of scopes) {
      const changed: string[] = [];
      const changedSlos = new Set<string>();
      const text = parts
        .map(([name, part]) => {
          if (name === '' || (slo !== undefined && sloOf(name) !== slo)) return part;
          const mutated = apply(part, mutation);
          if (mutated !== part) {
            const before = rules(part);
            for (const [rule, body] of rules(mutated))
              if (before.get(rule) !== body) {
                changed.push(`${rule} (${sloOf(name)})`);
                changedSlos.add(sloOf(name));
              }
          }
          return mutated;
        })
        .join('');
      if (changed.length === 0) continue;
      const id = `${target.name}: ${mutation.name}${slo === undefined ? '' : ` [${slo}]`}`;
      found.push({ id, target, mutation, text, rules: changed, slos: changedSlos });
    }
  }
  return found;
}

/** One test group of a test file, runnable on its own against any rules file. */
interface TestGroup {
  /** file: test name, for the table. */
  label: string;
  /** The test file with only this group, its rule_files left for the mutant's rules. */
  file: Record<string, unknown>;
  /** The SLO whose alerts it tests, when it tests one SLO's (its name starts with the SLO's id). */
  slo: string | undefined;
}

/** Every test group of the target's test files, in file order (the cheap main file first). */
async function testGroups(target: Target, slos: string[]): Promise<TestGroup[]> {
  const found: TestGroup[] = [];
  for (const test of target.tests) {
    const file = parse(await readFile(join(repo, test), 'utf8')) as { tests: { name: string }[] };
    for (const group of file.tests)
      found.push({
        label: `${test.split('/').at(-1) ?? test}: ${group.name}`,
        file: { ...file, tests: [group] },
        slo: slos.find((slo) => group.name.startsWith(`${slo} `)),
      });
  }
  return found;
}

/**
 * How many mutants each test group has killed, and how long it takes (from the baseline run): the
 * groups that kill the most per second run first, so most mutants cost one or two cheap groups and only
 * the few that need it reach the long-window test (about a minute for production).
 */
const kills = new Map<string, number>();
const seconds = new Map<string, number>();
const score = (group: TestGroup): number => ((kills.get(group.label) ?? 0) + 1) / (seconds.get(group.label) ?? 1);
/** The groups about the mutated SLOs go first: on their SLO's rules alone they take a fifth of a second. */
const bySlo = (group: TestGroup): number => (group.slo === undefined ? 0 : 1);

/**
 * Runs the test groups one at a time against the rules text, the best killers first, and returns the
 * first group that fails (undefined: every group passed, the mutant survived). With `changedSlos`, a
 * group about one SLO runs only if that SLO's rules changed.
 */
async function testAgainst(
  groups: TestGroup[],
  text: string,
  scratch: string,
  changedSlos?: Set<string>,
): Promise<string | undefined> {
  await mkdir(scratch, { recursive: true });
  const ordered = groups
    .map((group, index) => ({ group, index }))
    .filter(({ group }) => changedSlos === undefined || group.slo === undefined || changedSlos.has(group.slo))
    .sort((a, b) => bySlo(b.group) - bySlo(a.group) || score(b.group) - score(a.group) || a.index - b.index);
  for (const { group, index } of ordered) {
    const rulesPath = join(scratch, `${String(index)}.rules.yml`);
    await writeFile(rulesPath, group.slo === undefined ? text : onlySlo(text, group.slo));
    const path = join(scratch, `${String(index)}.test.yml`);
    await writeFile(path, stringify({ ...group.file, rule_files: [rulesPath] }));
    const begun = performance.now();
    try {
      await run('promtool', ['test', 'rules', path], { maxBuffer: 64 * 1024 * 1024 });
      if (!seconds.has(group.label)) seconds.set(group.label, (performance.now() - begun) / 1000);
    } catch {
      kills.set(group.label, (kills.get(group.label) ?? 0) + 1);
      return group.label;
    }
  }
  return undefined;
}

/** Runs jobs `width` at a time, in order of submission. */
async function pool<T, R>(items: T[], width: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      const item = items[index];
      if (item !== undefined) results[index] = await job(item);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

/** Runs every mutant; the exit status: 1 if one survived or the run could not start. */
async function main(scratchRoot: string): Promise<number> {
  const started = performance.now();
  const all: Mutant[] = [];
  const originals = new Map<Target['name'], string>();
  const tests = new Map<Target['name'], TestGroup[]>();
  if (targets.length === 0) {
    process.stderr.write(`mutation: no target named ${onlyTargets.join(', ')}\n`);
    return 1;
  }
  for (const target of targets) {
    const original = await readFile(join(repo, target.rules), 'utf8');
    originals.set(target.name, original);
    tests.set(target.name, await testGroups(target, slosOf(original)));
    all.push(...mutants(target, original));
  }
  // A mutation that changes nothing anywhere is a stale entry (the generated rules changed shape).
  const unmatched = MUTATIONS.filter((mutation) => !all.some((mutant) => mutant.mutation === mutation));
  if (unmatched.length > 0 && onlyTargets.length === 0) {
    process.stderr.write(`mutation: these mutations match no rule: ${unmatched.map((m) => m.name).join(', ')}\n`);
    return 1;
  }
  // The tests must pass on the unmutated rules first, or every mutant would look killed.
  const baselines = await pool(targets, 2, (target) =>
    testAgainst(tests.get(target.name) ?? [], originals.get(target.name) ?? '', join(scratchRoot, target.name)),
  );
  for (const failed of baselines.filter((test) => test !== undefined)) {
    process.stderr.write(`mutation: ${failed} fails on the unmutated rules: fix the tests first\n`);
    return 1;
  }
  process.stdout.write(`mutation: ${String(all.length)} mutants, promtool two at a time\n`);
  const outcomes = await pool(all, 2, async (mutant): Promise<Outcome> => {
    const begun = performance.now();
    const scratch = join(scratchRoot, String(all.indexOf(mutant)));
    const killedBy = await testAgainst(tests.get(mutant.target.name) ?? [], mutant.text, scratch, mutant.slos);
    await rm(scratch, { recursive: true, force: true });
    return { mutant, killedBy, seconds: (performance.now() - begun) / 1000 };
  });

  const rows = outcomes.map((outcome) => [
    outcome.mutant.id,
    outcome.mutant.rules.length > 2
      ? `${outcome.mutant.rules.slice(0, 2).join(', ')} +${String(outcome.mutant.rules.length - 2)}`
      : outcome.mutant.rules.join(', '),
    outcome.killedBy === undefined ? 'SURVIVED' : `killed by ${outcome.killedBy}`,
    `${outcome.seconds.toFixed(1)}s`,
  ]);
  const header = ['mutant', 'rule', 'result', 'time'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
  const survivors = outcomes.filter((outcome) => outcome.killedBy === undefined);
  const elapsed = ((performance.now() - started) / 1000).toFixed(0);
  process.stdout.write(
    `mutation: ${String(outcomes.length)} mutants, ${String(outcomes.length - survivors.length)} killed, ${String(survivors.length)} survived, ${elapsed}s\n`,
  );
  if (survivors.length > 0) {
    process.stderr.write(
      `mutation: survived (strengthen slo/tests/generate.ts): ${survivors.map((s) => s.mutant.id).join('; ')}\n`,
    );
    return 1;
  }
  return 0;
}

const scratchRoot = await mkdtemp(join(tmpdir(), 'slo-mutation-'));
try {
  process.exitCode = await main(scratchRoot);
} finally {
  await rm(scratchRoot, { recursive: true, force: true });
}
