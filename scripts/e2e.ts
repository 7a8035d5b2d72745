// `npm run test:e2e`: runs the Playwright API suites against the local stack. Uses the stack that
// `npm run dev` is running, if any; otherwise starts a fresh one in .dev/e2e and stops it after.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { acquireLock, runningStackPid } from './local-stack/lock.ts';
import { repoRoot, stateLayout } from './local-stack/paths.ts';
import { startFreshStack, type RunningStack } from './local-stack/stack.ts';

const devStack = stateLayout('.dev');
let stack: RunningStack | undefined;
let stackFile = devStack.stackFile;
let releaseLock: () => void = () => undefined;

if (runningStackPid(devStack.lockFile) !== undefined && existsSync(devStack.stackFile)) {
  console.log(`e2e: using the running stack (${devStack.stackFile})`);
} else {
  const ephemeral = stateLayout('.dev/e2e');
  releaseLock = acquireLock(ephemeral.lockFile).release;
  console.log('e2e: starting a fresh local stack in .dev/e2e');
  stack = await startFreshStack('.dev/e2e', {
    embeddedS3: process.env['E2E_EMBEDDED_S3'] === '1',
    ingress: true,
    monitoring: true,
    onProgress: (message) => {
      console.log(`e2e: ${message}`);
    },
  });
  stackFile = stack.layout.stackFile;
}

const playwright = spawn(
  process.execPath,
  ['node_modules/@playwright/test/cli.js', 'test', '-c', 'e2e/playwright.config.ts', ...process.argv.slice(2)],
  {
    cwd: repoRoot,
    env: { ...process.env, STACK_FILE: stackFile },
    stdio: 'inherit',
  },
);
const forward = (signal: NodeJS.Signals) => {
  playwright.kill(signal);
};
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
const code = await new Promise<number>((resolve) =>
  playwright.on('exit', (exitCode) => {
    resolve(exitCode ?? 1);
  }),
);
if (stack !== undefined) {
  console.log('e2e: stopping the stack');
  await stack.stop();
}
releaseLock();
process.exit(code);
