import type { Express } from 'express';
import { problemContentType } from './errors.ts';

/** A dependency the service needs to do useful work (a database, a bucket, an upstream). */
export interface DependencyCheck {
  name: string;
  /** Resolves when the dependency answers; should stop work when the signal aborts. */
  check: (signal: AbortSignal) => Promise<unknown>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, string>;
}

/**
 * Readiness: every dependency answers within the time limit and the service is not shutting down.
 * Liveness (/healthz) deliberately checks nothing: a dependency outage must not get pods restarted.
 */
export class Readiness {
  #draining = false;
  readonly #checks: DependencyCheck[];
  readonly #timeoutMs: number;

  constructor(checks: DependencyCheck[], timeoutMs: number) {
    this.#checks = checks;
    this.#timeoutMs = timeoutMs;
  }

  /** Called on SIGTERM: from now on the service reports not ready. */
  startDraining(): void {
    this.#draining = true;
  }

  get draining(): boolean {
    return this.#draining;
  }

  async report(): Promise<ReadinessReport> {
    const results = await Promise.all(
      this.#checks.map(async ({ name, check }) => [name, await this.#run(check)] as const),
    );
    const checks = Object.fromEntries(results);
    if (this.#draining) checks['shutdown'] = 'draining';
    return { ready: !this.#draining && results.every(([, result]) => result === 'ok'), checks };
  }

  /** Answers within the time limit even if the check ignores its signal. */
  async #run(check: DependencyCheck['check']): Promise<string> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    const timedOut = new Promise<never>((_resolve, reject) => {
      signal.addEventListener('abort', () => {
        reject(new Error(`no answer within ${this.#timeoutMs} ms`));
      });
    });
    try {
      await Promise.race([check(signal), timedOut]);
      return 'ok';
    } catch (error) {
      return (error as Error).message || String(error);
    }
  }
}

/** Mounts GET /healthz and GET /readyz. */
export function mountHealthRoutes(app: Express, readiness: Readiness): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const { ready, checks } = await readiness.report();
    if (ready) {
      res.json({ status: 'ready', checks });
      return;
    }
    res
      .status(503)
      .type(problemContentType)
      .send(
        JSON.stringify({
          type: 'https://platform.example/problems/not-ready',
          title: 'Not ready',
          status: 503,
          checks,
        }),
      );
  });
}
