import { defineConfig } from '@playwright/test';
import { randomClientAddress } from './support/hostile.ts';
import { runningStack } from './support/stack.ts';

// Run through `npm run test:e2e`, which starts a local stack when none is running and points
// STACK_FILE at its description. API tests only: no browser is needed. Each run is one client
// address (through the trusted loopback proxy hop), so the failed-login limit of one run does not
// carry over to the next against the same stack.
export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  fullyParallel: false,
  workers: 1,
  timeout: 120_000,
  reporter: process.env['CI'] === undefined ? 'list' : [['list'], ['junit', { outputFile: 'test-results/junit.xml' }]],
  use: {
    baseURL: process.env['STACK_FILE'] === undefined ? undefined : runningStack().services.api.env['PUBLIC_BASE_URL'],
    extraHTTPHeaders: { accept: 'application/json', 'X-Forwarded-For': randomClientAddress() },
  },
});
