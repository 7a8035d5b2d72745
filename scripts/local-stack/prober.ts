// The outside-in journey prober (services/prober) in the local stack: it walks the user journey through
// the TLS ingress, as the chart runs it in a cluster through the edge, so it starts after the ingress
// and does not run without it.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleEntry, ensureBundles } from '../bundle.ts';
import { httpOk } from './probes.ts';
import { chartEnvironment } from './service-environments.ts';
import type { Component } from './supervisor.ts';

export interface LocalProber {
  port: number;
  metricsPort: number;
  /** The ingress it probes, and the local CA it trusts for it. */
  ingressPort: number;
  caFile: string;
  keysDir: string;
  /** Restart on source changes (npm run dev). */
  watch: boolean;
  /** Why it does not run (no ingress); undefined: it runs. */
  skipped: string | undefined;
  /** Local changes on top of the chart's settings (a test's shorter interval). */
  envChanges?: Record<string, string> | undefined;
}

const proberPasswordFile = (keysDir: string) => join(keysDir, 'prober-password');

/**
 * The prober's password for its local account: generated on first start into the git-ignored state
 * folder, as the chart's comes from a secret; never in git.
 */
function ensureProberPassword(keysDir: string): void {
  const file = proberPasswordFile(keysDir);
  if (!existsSync(file)) {
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
}

/** Its environment: the chart's settings, with the local ingress, CA, ports and password file on top. */
export function proberEnvironment(prober: Omit<LocalProber, 'watch' | 'skipped'>): Record<string, string> {
  // The chart's settings but the cluster's address of the edge: locally the ingress is dialled by its URL.
  const chart = Object.fromEntries(
    Object.entries(chartEnvironment('prober')).filter(([, value]) => !value.includes('.svc.cluster.local')),
  );
  return {
    ...chart,
    HOST: '127.0.0.1',
    PORT: String(prober.port),
    METRICS_PORT: String(prober.metricsPort),
    LOG_LEVEL: 'info',
    SHUTDOWN_GRACE_MS: '10000',
    PROBE_BASE_URL: `https://localhost:${String(prober.ingressPort)}`,
    PROBE_CA_FILE: prober.caFile,
    PROBE_PASSWORD_FILE: proberPasswordFile(prober.keysDir),
    ...prober.envChanges,
  };
}

export function proberComponent(prober: LocalProber): Component {
  return {
    name: 'prober',
    needs: ['ingress'],
    skipped: prober.skipped,
    prepare: async () => {
      ensureProberPassword(prober.keysDir);
      if (!prober.watch) await ensureBundles();
    },
    process: {
      command: process.execPath,
      args: prober.watch
        ? ['--watch', '--watch-preserve-output', 'services/prober/src/main.ts']
        : [bundleEntry('prober')],
      env: () => proberEnvironment(prober),
      echo: true,
    },
    ready: httpOk(`http://127.0.0.1:${String(prober.port)}/readyz`),
    // A journey under way finishes within its time limit (10 s) before the prober exits.
    stopGraceMs: 15_000,
  };
}
