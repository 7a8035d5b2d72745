// The local stack: the whole platform on this machine, no cluster and no Docker.
//   npm run dev [-- --reset] [-- --help]
import { parseArgs } from 'node:util';
import { acquireLock } from './lock.ts';
import { stateLayout } from './paths.ts';
import { startStack, type RunningStack } from './stack.ts';
import { statusTable } from './status-table.ts';

const usage = `Usage: npm run dev -- [options]

Starts PostgreSQL (embedded, unless DATABASE_URL is set), S3 (MinIO if its binary is on PATH or
in ~/.cache/platform-tools/bin, else an embedded S3 server), applies migrations, runs the auth,
image and API services with live reload, the TLS ingress when nginx is installed, and
Prometheus + Alertmanager (with the SLO rules and a webhook receiver) when they are installed.
Writes .dev/stack.json describing every endpoint. Ctrl-C stops everything.

Options:
  --reset          wipe local data (database, objects, keys, logs) before starting
  --no-watch       do not restart services when their sources change
  --embedded-s3    use the embedded S3 server even if MinIO is available
  --no-ingress     do not start the nginx TLS ingress
  --no-monitoring  do not start Prometheus, Alertmanager and the alert receiver
  --quiet          do not echo service logs (they are always in .dev/logs/)
  --state-dir DIR  keep state in DIR instead of .dev
  -h, --help       show this help`;

const { values } = parseArgs({
  options: {
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
let lock: { release: () => void };
let stack: RunningStack | undefined;
const startup = { stopRequested: false };
let stopping = false;

const shutdown = (signal: string) => {
  if (stack === undefined) {
    // Still starting: stop as soon as everything started is known, so nothing is orphaned.
    startup.stopRequested = true;
    console.log(`\n${signal}: will stop once start-up settles...`);
    return;
  }
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the stack...`);
  stack.stop().then(
    () => {
      lock.release();
      console.log('stopped.');
      process.exit(0);
    },
    (error: unknown) => {
      lock.release();
      console.error(`stopping failed: ${String(error)}`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => { shutdown('SIGINT'); });
process.on('SIGTERM', () => { shutdown('SIGTERM'); });

try {
  lock = acquireLock(layout.lockFile);
} catch (error) {
  console.error(`npm run dev: ${(error as Error).message}`);
  process.exit(1);
}
try {
  stack = await startStack({
    stateDir: values['state-dir'],
    reset: values.reset,
    watch: !values['no-watch'],
    databaseUrl: process.env['DATABASE_URL'],
    embeddedS3: values['embedded-s3'],
    ingress: !values['no-ingress'],
    monitoring: !values['no-monitoring'],
    onProgress: (message) => { console.log(`- ${message}`); },
    onServiceLine: values.quiet ? undefined : (service, line) => { console.log(`[${service}] ${line}`); },
  });
} catch (error) {
  lock.release();
  console.error(`npm run dev: could not start the stack: ${(error as Error).message}`);
  process.exit(1);
}

if (startup.stopRequested) {
  shutdown('stop requested');
} else {
  console.log(`\nThe platform is up (${((Date.now() - startedAt) / 1000).toFixed(1)} s):\n\n${statusTable(stack.description)}\n`);
  console.log(`Endpoints: ${layout.stackFile}   Logs: ${layout.logsDir}/   Stop: Ctrl-C\n`);
}
