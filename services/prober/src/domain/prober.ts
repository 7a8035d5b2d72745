import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@platform/runtime';
import { runJourney, sweepLeftovers, type JourneyResult, type JourneySettings } from './journey.ts';
import { runLargeUpload, type LargeUploadResult, type LargeUploadSettings } from './large-upload.ts';
import type { PlatformClient } from './platform-client.ts';
import { largeProbeImage } from './probe-image.ts';

export interface ProberOptions extends JourneySettings {
  client: PlatformClient;
  intervalMs: number;
  logger: Logger;
  /** Counts a finished journey (the metrics). */
  record: (result: JourneyResult) => void;
  /** The large uploads: one after every `every`-th journey, the first journey's included. */
  largeUpload: Omit<LargeUploadSettings, 'account' | 'image'> & {
    every: number;
    /** The size of its image. */
    bytes: number;
    /** Counts a finished large upload (the metrics). */
    record: (result: LargeUploadResult) => void;
  };
}

/** A probe's result and when it ended (an ISO timestamp). */
export type Finished<Result> = Result & { finishedAt: string };

/** A large upload's result, with the size of its image. */
export type FinishedLargeUpload = Finished<LargeUploadResult & { bytes: number }>;

export interface Prober {
  /** The last journey's result, until the first one ends undefined. */
  last: () => Finished<JourneyResult> | undefined;
  /** The last large upload's result, until the first one ends undefined. */
  lastLargeUpload: () => FinishedLargeUpload | undefined;
  /** Lets the journey under way finish (it is bounded by its time limit), then stops. */
  stop: () => Promise<void>;
}

/**
 * Starts a journey every `intervalMs` (from start to start; one never overlaps the next) until
 * stopped, and after every `largeUpload.every`-th journey a large upload in the same slot (the first
 * slot's included, so a fresh prober measures throughput at once). After a probe that may have left an
 * image behind, the next journey first sweeps the account: leftovers would otherwise fill the
 * prober's quota, one failure at a time.
 */
export function startProber(options: ProberOptions): Prober {
  const { client, intervalMs, logger, record } = options;
  const stopping = new AbortController();
  let last: Finished<JourneyResult> | undefined;
  let lastLargeUpload: FinishedLargeUpload | undefined;
  let sweepNeeded = true;
  let slot = 0;
  let largeImage: Blob | undefined;

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

  const largeUploadOnce = async () => {
    largeImage ??= largeProbeImage(options.largeUpload.bytes);
    const result = await runLargeUpload(client, {
      ...options.largeUpload,
      account: options.account,
      image: largeImage,
    });
    options.largeUpload.record(result);
    const { bytes } = options.largeUpload;
    lastLargeUpload = { ...result, bytes, finishedAt: new Date().toISOString() };
    if (result.leftoverSuspected) sweepNeeded = true;
    const summary = {
      outcome: result.outcome,
      bytes,
      uploadSeconds: Number(result.uploadSeconds.toFixed(3)),
      mibPerSecond: Number(result.mibPerSecond.toFixed(1)),
    };
    if (result.outcome === 'fast') logger.info(summary, 'large upload at the throughput asked');
    else
      logger.warn(
        { ...summary, error: result.error, minMiBps: options.largeUpload.minMiBps },
        'large upload slow or failed',
      );
  };

  const stopRequested = () => stopping.signal.aborted;
  const loop = async () => {
    while (!stopRequested()) {
      const started = performance.now();
      await journeyOnce().catch((error: unknown) => {
        logger.error({ err: error }, 'journey could not run');
      });
      // Not once stopping: the pod's grace period allows for the journey under way, not for a large upload after it.
      if (slot % options.largeUpload.every === 0 && !stopRequested()) {
        await largeUploadOnce().catch((error: unknown) => {
          logger.error({ err: error }, 'large upload could not run');
        });
      }
      slot += 1;
      const wait = Math.max(0, intervalMs - (performance.now() - started));
      await sleep(wait, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  };
  const running = loop();

  return {
    last: () => last,
    lastLargeUpload: () => lastLargeUpload,
    stop: async () => {
      stopping.abort();
      await running;
    },
  };
}
