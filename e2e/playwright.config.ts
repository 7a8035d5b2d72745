import { defineConfig } from '@playwright/test';
import { runningStack } from './support/stack.ts';

// Run through `npm run test:e2e`, which starts a local stack when none is running and points
// STACK_FILE at its description. API tests only: no browser is needed.
export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  fullyParallel: false,
  workers: 1,
  timeout: 120_000,
  reporter: process.env['CI'] === undefined ? 'list' : [['list'], ['junit', { outputFile: 'test-results/junit.xml' }]],
  use: { baseURL: process.env['STACK_FILE'] === undefined ? undefined : runningStack().services.api.env['PUBLIC_BASE_URL'], extraHTTPHeaders: { accept: 'application/json' } },
});
