import { defineConfig } from '@playwright/test';

// `npm run test:faults`: dependencies and services stopped and started under load. Each file starts
// its own local stack (default ports), so no other stack may be running.
export default defineConfig({
  testDir: './faults',
  outputDir: './test-results/faults',
  fullyParallel: false,
  workers: 1,
  timeout: 180_000,
  reporter:
    process.env['CI'] === undefined ? 'list' : [['list'], ['junit', { outputFile: 'test-results/faults/junit.xml' }]],
});
