// The local stack: the whole platform on this machine, no cluster and no Docker.
//   npm run dev [-- --reset] [-- --minimal] [-- --help]
import { parseArgs } from 'node:util';
import { acquireLock } from './lock.ts';
import { stateLayout } from './paths.ts';
import { startStack, type RunningStack } from './stack.ts';
import { statusTable } from './status-table.ts';
import { killLeftovers } from './supervisor.ts';

const usage = `Usage: npm run dev -- [options]

Installs what the platform needs on first use (as npm test does: nginx, mtail, Prometheus, Alertmanager and
MinIO on Debian as root; elsewhere it says what to install), then starts PostgreSQL (embedded, unless
DATABASE_URL is set), S3 (MinIO, or an embedded S3 server), applies migrations, and runs the auth,
image and API services with live reload, the TLS ingress (nginx, its requests counted for the edge SLI
by mtail), the journey prober through it (services/prober: login, upload, read back, compare, delete
every 30 s), and Prometheus + Alertmanager with the SLO rules and a webhook receiver. The components and
their order are in
scripts/local-stack/components.ts. Writes .dev/stack.json describing every endpoint. Ctrl-C stops
everything, dependents first; a second Ctrl-C kills what is left at once.

Options:
  --minimal        only the data stores and the services: no ingress, no monitoring, nothing installed
  --reset          wipe local data (database, objects, keys, logs) before starting
  --no-watch       do not restart services when their sources change
  --embedded-s3    use the embedded S3 server even if MinIO is available
  --no-ingress     do not start the nginx TLS ingress, nor the prober that goes through it (with monitoring
                   on, EdgeTargetDown then says there is no edge)
  --no-monitoring  do not start Prometheus, Alertmanager and the alert receiver
  --quiet          do not echo service logs (they are always in .dev/logs/)
  --state-dir DIR  keep state in DIR instead of .dev
  -h, --help       show this help`;

const { values } = parseArgs({
  options: {
    minimal: { type: 'boolean', default: false },
    reset: { type: 'boolean', default: false },
    'no-watch': { type: 'boolean', default: false },
    'embedded-s3': { type: 'boolean', default: false },
    'no-ingress': { type: 'boolean', default: false },
    'no-monitoring': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    'state-dir': { type: 'string', default: '.dev' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const layout = stateLayout(values['state-dir']);
const startedAt = Date.now();
const startup = new AbortController();
let stack: RunningStack | undefined;
let stopping = false;
let lock: { release: () => void };

/** A second signal, or a stop that overran every component's grace, kills whatever is left. */
const killEverything = (reason: string) => {
  console.error(`\n${reason}: killing what is left`);
  killLeftovers(layout.pidsDir, (message) => {
    console.error(`- ${message}`);
  });
  lock.release();
  process.exit(1);
};
const hardStopMs = 120_000;

const shutdown = (signal: string) => {
  if (stopping) return killEverything(`${signal} again`);
  stopping = true;
  setTimeout(() => {
    killEverything(`still stopping after ${hardStopMs / 1000} s`);
  }, hardStopMs).unref();
  if (stack === undefined) {
    console.log(`\n${signal}: stopping what has started...`);
    startup.abort();
    return;
  }
  console.log(`\n${signal}: stopping the stack...`);
  void stack.stop().then(() => {
    lock.release();
    console.log('stopped.');
    process.exit(0);
  });
};
process.on('SIGINT', () => {
  shutdown('SIGINT');
});
process.on('SIGTERM', () => {
  shutdown('SIGTERM');
});

function planOptions() {
  return {
    watch: !values['no-watch'],
    databaseUrl: process.env['DATABASE_URL'],
    embeddedS3: values['embedded-s3'],
    ingress: !values.minimal && !values['no-ingress'],
    monitoring: !values.minimal && !values['no-monitoring'],
  };
}

try {
  lock = acquireLock(layout.lockFile);
} catch (error) {
  console.error(`npm run dev: ${(error as Error).message}`);
  process.exit(1);
}
try {
  stack = await startStack({
    ...planOptions(),
    stateDir: values['state-dir'],
    reset: values.reset,
    onProgress: (message) => {
      console.log(`- ${message}`);
    },
    onServiceLine: values.quiet
      ? undefined
      : (service, line) => {
          console.log(`[${service}] ${line}`);
        },
    signal: startup.signal,
  });
} catch (error) {
  lock.release();
  if (startup.signal.aborted) {
    console.log('stopped.');
    process.exit(0);
  }
  console.error(`npm run dev: could not start the stack: ${(error as Error).message}`);
  process.exit(1);
}

console.log(
  `\nThe platform is up (${((Date.now() - startedAt) / 1000).toFixed(1)} s):\n\n${statusTable(stack.description)}\n`,
);
console.log(`Endpoints: ${layout.stackFile}   Logs: ${layout.logsDir}/   Stop: Ctrl-C\n`);
