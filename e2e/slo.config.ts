import { defineConfig } from '@playwright/test';

// `npm run test:slo`: the SLO suite. Each file starts its own local stack (with Prometheus,
// Alertmanager and the alert receiver), so no other stack may be running.
export default defineConfig({
  testDir: './slo',
  outputDir: './test-results/slo',
  fullyParallel: false,
  workers: 1,
  timeout: 600_000,
  reporter: 'list',
});
