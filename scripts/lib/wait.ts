// Waiting for something to become true, written once: a probe retried with a gentle backoff until it
// answers or the time is up (p-retry), failing with what was awaited and the probe's last answer.
import pRetry, { AbortError } from 'p-retry';

export interface WaitOptions {
  timeoutMs: number;
  /** Checked before each probe: a reason to stop waiting at once (the process died, say). */
  giveUpIf?: () => string | undefined;
  /** Probe at this fixed pace instead of backing off (when the time it took is itself measured). */
  intervalMs?: number;
}

/** Resolves with the probe's first answer that is not undefined/false; the probe may throw to say "not yet, because...". */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<T> {
  const started = Date.now();
  try {
    return await pRetry(
      async () => {
        const reason = options.giveUpIf?.();
        if (reason !== undefined) throw new AbortError(reason);
        const answer = await probe();
        if (answer === undefined || answer === false) throw new Error('not yet');
        return answer;
      },
      {
        retries: Number.MAX_SAFE_INTEGER,
        minTimeout: options.intervalMs ?? 200,
        maxTimeout: options.intervalMs ?? 2_000,
        factor: options.intervalMs === undefined ? 1.3 : 1,
        randomize: false,
        maxRetryTime: options.timeoutMs,
      },
    );
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message} (after ${((Date.now() - started) / 1000).toFixed(1)} s)`, {
      cause: error,
    });
  }
}
