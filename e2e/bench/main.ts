// `npm run bench`: throughput against direct S3, flat memory, gateway overhead, logins and capacity
// at SLO, measured side by side on the local stack. See --help and the README's Performance section.
import { cpus, totalmem } from 'node:os';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mebibyte } from '@platform/test-client';
import { repoRoot } from '../../scripts/local-stack/paths.ts';
import { serviceNames } from '../../scripts/local-stack/stack.ts';
import { closeClients } from './clients.ts';
import { benchCapacity, benchGateway, benchLogin } from './http-load.ts';
import { cpuProfileOptions, renderProfiles } from './profile.ts';
import { judge, renderTable, writeReport, type Metric } from './report.ts';
import { acquireStack, benchStateDir, type BenchStack } from './stack.ts';
import { benchTransfers } from './transfer.ts';

const sections = ['transfer', 'gateway', 'login', 'capacity'] as const;
const profilesDir = join(repoRoot, 'e2e/bench/results/profiles');
type Section = (typeof sections)[number];

const usage = `Usage: npm run bench -- [options]

Measures the platform on this machine, each figure several times, and prints the median and the
range of each with a verdict against its target:
  transfer  upload and download throughput through the API vs straight to S3 (16 MiB, 256 MiB and,
            without --quick, 1 GiB), downloads through a bare Node relay too, and each hop's CPU;
            each service's peak memory, largest vs smallest upload and download, and once idle
            again; 8 uploads of 64 MiB at once, API vs S3
  gateway   a small authenticated GET through the API vs straight from the image service, and
            small reads per second through the API vs GetObject of the same object (8 at a time)
  login     logins per second (production argon2id) and the auth service's event-loop delay
  capacity  the highest rate of the read-heavy load mix whose p99 and errors stay within the SLOs

Uses the stack of \`npm run dev\` when one runs (in --state-dir, on this run's ports); otherwise
starts a fresh one in ${benchStateDir} (no watch, ingress or monitoring) and stops it afterwards.
STACK_PORT_OFFSET=N shifts every port of that stack by N. Writes e2e/bench/results/latest.json.
Exits 1 when a target is missed.

Options:
  --quick            fewer sizes, runs and seconds: a couple of minutes
  --only LIST        run only these sections, comma-separated (${sections.join(',')})
  --runs N           repetitions of each measurement (default 3 with --quick, else 5)
  --connections N    concurrency of the gateway GETs (default 1: the overhead of the hop itself,
                     without queueing for this machine's CPUs)
  --fresh            always start a fresh stack, even if one is running
  --profile          run each service under node --cpu-prof (a fresh stack) and print where its CPU
                     went; the profiles stay in ${profilesDir}
  --state-dir DIR    where to look for a running stack (default .dev)
  -h, --help         show this help`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: sections.join(',') },
    runs: { type: 'string' },
    connections: { type: 'string', default: '1' },
    fresh: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'state-dir': { type: 'string', default: '.dev' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const chosen = values.only.split(',').map((name) => name.trim());
const unknown = chosen.filter((name) => !(sections as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`bench: unknown section ${unknown.join(', ')} (choose from ${sections.join(', ')})`);
  process.exit(2);
}
const quick = values.quick;
const runs = Number(values.runs ?? (quick ? 3 : 5));
const connections = Number(values.connections);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(connections) || connections < 1) {
  console.error('bench: --runs and --connections take a whole number of at least 1');
  process.exit(2);
}
const parameters = {
  sections: chosen,
  runs,
  uploadSizesMiB: quick ? [16, 256] : [16, 256, 1024],
  parallelUploads: { count: 8, sizeMiB: 64 },
  gateway: { connections, readConnections: 8, seconds: quick ? 3 : 10 },
  login: { connections: 4, seconds: quick ? 3 : 10 },
  capacity: { connections: 8, seconds: quick ? 4 : 10, startRate: 25, refinements: quick ? 2 : 3 },
};

const startedAt = new Date();
const elapsed = () => {
  const seconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
};
const progressFor = (section: string) => (message: string) => {
  console.log(`[${elapsed()}] ${section}: ${message}`);
};

let stack: BenchStack | undefined;
const signalled = { stopping: false };
const stopOnSignal = (signal: NodeJS.Signals) => {
  if (signalled.stopping) return;
  signalled.stopping = true;
  console.log(`\nbench: ${signal}, stopping`);
  void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
};
process.on('SIGINT', stopOnSignal);
process.on('SIGTERM', stopOnSignal);

const metrics: Metric[] = [];
let exitCode: number;
try {
  if (values.profile) rmSync(profilesDir, { recursive: true, force: true });
  stack = await acquireStack({
    stateDir: values['state-dir'],
    fresh: values.fresh || values.profile,
    onProgress: progressFor('stack'),
    ...(values.profile ? { serviceNodeOptions: cpuProfileOptions(profilesDir) } : {}),
  });
  const run: Record<Section, (current: BenchStack) => Promise<Metric[]>> = {
    transfer: (current) =>
      benchTransfers(current, {
        sizes: parameters.uploadSizesMiB.map((size) => size * mebibyte),
        parallel: { uploads: parameters.parallelUploads.count, size: parameters.parallelUploads.sizeMiB * mebibyte },
        runs,
        progress: progressFor('transfer'),
      }),
    gateway: (current) => benchGateway(current, { runs, ...parameters.gateway, progress: progressFor('gateway') }),
    login: (current) => benchLogin(current, { runs, ...parameters.login, progress: progressFor('login') }),
    capacity: (current) => benchCapacity(current, { runs, ...parameters.capacity, progress: progressFor('capacity') }),
  };
  for (const section of sections.filter((name) => chosen.includes(name))) metrics.push(...(await run[section](stack)));

  const judged = metrics.map(judge);
  const file = join(repoRoot, 'e2e/bench/results/latest.json');
  writeReport(file, {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
    },
    stack: { reused: !stack.owned, s3: stack.description.s3.kind, stateDir: stack.description.stateDir },
    parameters,
    metrics: judged,
  });
  console.log(`\n${renderTable(judged)}\n`);
  const missed = judged.filter((metric) => metric.verdict === 'MISSED');
  const targets = judged.filter((metric) => metric.target !== undefined);
  console.log(
    `${targets.length - missed.length} of ${targets.length} targets met${missed.length > 0 ? `; missed: ${missed.map((metric) => metric.name).join(', ')}` : ''}`,
  );
  console.log(`results: ${file} (${elapsed()})`);
  exitCode = missed.length > 0 ? 1 : 0;
} catch (error) {
  console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 2;
} finally {
  await closeClients();
  if (!signalled.stopping && stack?.owned === true) {
    progressFor('stack')('stopping the stack');
    await stack.stop();
    // The services write their profiles as they exit.
    if (values.profile)
      console.log(`\nWhere each service's CPU went:\n\n${renderProfiles(profilesDir, serviceNames)}\n`);
  }
}
process.exit(exitCode);
