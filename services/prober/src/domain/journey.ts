import type { JourneyOutcome } from './outcomes.ts';
import { cleanUp, logIn, withinDeadline } from './calls.ts';
import type { Credentials, PlatformClient } from './platform-client.ts';
import { randomPng, sha256Of } from './probe-image.ts';

export interface JourneySettings {
  account: Credentials;
  imageBytes: number;
  /** The whole journey's time limit. */
  timeoutMs: number;
  /** The time limit of the clean-up after a failure (a fresh one: the journey's may be spent). */
  cleanupTimeoutMs: number;
}

export interface JourneyResult {
  outcome: JourneyOutcome;
  durationSeconds: number;
  /** Why it failed, for the log (never a metric label). */
  error?: string;
  /** Images this journey may have left behind: an upload whose answer never came, a failed delete. */
  leftoverSuspected: boolean;
}

/** A step that failed, and the outcome it stands for. */
class StepFailed extends Error {
  readonly outcome: JourneyOutcome;

  constructor(outcome: JourneyOutcome, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.outcome = outcome;
  }
}

/**
 * One journey, as a user makes it through the edge: log in (registering the account the first time),
 * upload an image of random bytes, read it back, compare the SHA-256 of what came back with what
 * went, delete it. Bounded by `timeoutMs` whatever the client does; on any failure after the upload
 * it deletes the image again (best effort, within `cleanupTimeoutMs`) so no journey leaves one behind.
 */
export async function runJourney(client: PlatformClient, settings: JourneySettings): Promise<JourneyResult> {
  const started = performance.now();
  const deadline = AbortSignal.timeout(settings.timeoutMs);
  const finish = (outcome: JourneyOutcome, leftoverSuspected: boolean, error?: string): JourneyResult => ({
    outcome,
    durationSeconds: (performance.now() - started) / 1_000,
    leftoverSuspected,
    ...(error === undefined ? {} : { error }),
  });
  const step = <T>(outcome: JourneyOutcome, call: (signal: AbortSignal) => Promise<T>): Promise<T> =>
    withinDeadline(call(deadline), deadline).catch((error: unknown) => {
      throw new StepFailed(deadline.aborted ? 'timeout' : outcome, error);
    });

  let token: string | undefined;
  let filename: string | undefined;
  let uploadAnswered = false;
  try {
    token = await step('login_failed', (signal) => logIn(client, settings.account, signal));
    const image = randomPng(settings.imageBytes);
    const sessionToken = token;
    filename = await step('upload_failed', (signal) =>
      client.upload(sessionToken, new Blob([image.bytes], { type: 'image/png' }), signal),
    );
    uploadAnswered = true;
    const stored = filename;
    const readBack = await step('read_failed', (signal) => client.download(sessionToken, stored, signal));
    if (sha256Of(readBack) !== image.sha256) {
      throw new StepFailed(
        'checksum_mismatch',
        `sent ${String(image.bytes.length)} bytes with SHA-256 ${image.sha256}, got ${String(readBack.length)} with ${sha256Of(readBack)}`,
      );
    }
    const deleted = await step('delete_failed', (signal) => client.remove(sessionToken, stored, signal));
    if (!deleted) throw new StepFailed('delete_failed', `${stored} was gone before it was deleted`);
    return finish('success', false);
  } catch (error) {
    const failure = error instanceof StepFailed ? error : new StepFailed('upload_failed', error);
    // An upload whose answer never came may have been stored all the same: the next journey sweeps.
    let leftoverSuspected = token !== undefined && !uploadAnswered && failure.outcome !== 'login_failed';
    if (token !== undefined && filename !== undefined) {
      leftoverSuspected = !(await cleanUp(client, token, filename, settings.cleanupTimeoutMs));
    }
    return finish(failure.outcome, leftoverSuspected, failure.message);
  }
}

/**
 * Deletes what earlier journeys may have left in the prober's account (everything in it: the account
 * holds nothing else). Resolves with how many images it deleted; throws if it could not finish.
 */
export async function sweepLeftovers(client: PlatformClient, account: Credentials, timeoutMs: number): Promise<number> {
  const signal = AbortSignal.timeout(timeoutMs);
  const token = await withinDeadline(logIn(client, account, signal), signal);
  const filenames = await withinDeadline(client.list(token, signal), signal);
  for (const filename of filenames) await withinDeadline(client.remove(token, filename, signal), signal);
  return filenames.length;
}
