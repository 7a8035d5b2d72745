import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@platform/runtime';
import { runJourney, sweepLeftovers, type JourneyResult, type JourneySettings } from './journey.ts';
import type { PlatformClient } from './platform-client.ts';

export interface ProberOptions extends JourneySettings {
  client: PlatformClient;
  intervalMs: number;
  logger: Logger;
  /** Counts a finished journey (the metrics). */
  record: (result: JourneyResult) => void;
}

export interface Prober {
  /** The last journey's result, until the first one ends undefined. */
  last: () => (JourneyResult & { finishedAt: string }) | undefined;
  /** Lets the journey under way finish (it is bounded by its time limit), then stops. */
  stop: () => Promise<void>;
}

/**
 * Starts a journey every `intervalMs` (from start to start; one never overlaps the next) until
 * stopped. After a journey that may have left an image behind, the next one first sweeps the
 * account: leftovers would otherwise fill the prober's quota, one failure at a time.
 */
export function startProber(options: ProberOptions): Prober {
  const { client, intervalMs, logger, record } = options;
  const stopping = new AbortController();
  let last: (JourneyResult & { finishedAt: string }) | undefined;
  let sweepNeeded = true;

  const journeyOnce = async () => {
    if (sweepNeeded) {
      try {
        const deleted = await sweepLeftovers(client, options.account, options.cleanupTimeoutMs);
        if (deleted > 0) logger.warn({ deleted }, 'deleted images earlier journeys left behind');
        sweepNeeded = false;
      } catch (error) {
        logger.warn({ err: error }, 'could not sweep leftovers yet; trying again before the next journey');
      }
    }
    const result = await runJourney(client, options);
    record(result);
    last = { ...result, finishedAt: new Date().toISOString() };
    if (result.leftoverSuspected) sweepNeeded = true;
    const summary = { outcome: result.outcome, durationSeconds: Number(result.durationSeconds.toFixed(3)) };
    if (result.outcome === 'success') logger.info(summary, 'journey succeeded');
    else
      logger.warn({ ...summary, error: result.error, leftoverSuspected: result.leftoverSuspected }, 'journey failed');
  };

  const loop = async () => {
    while (!stopping.signal.aborted) {
      const started = performance.now();
      await journeyOnce().catch((error: unknown) => {
        logger.error({ err: error }, 'journey could not run');
      });
      const wait = Math.max(0, intervalMs - (performance.now() - started));
      await sleep(wait, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  };
  const running = loop();

  return {
    last: () => last,
    stop: async () => {
      stopping.abort();
      await running;
    },
  };
}
