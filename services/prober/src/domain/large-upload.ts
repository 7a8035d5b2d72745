import { cleanUp, logIn, withinDeadline } from './calls.ts';
import type { LargeUploadOutcome } from './outcomes.ts';
import type { Credentials, PlatformClient } from './platform-client.ts';

const mebibyte = 1024 * 1024;

export interface LargeUploadSettings {
  account: Credentials;
  /**
   * The image: random content, large enough that the time is the bytes', not the round trips'. Made once and
   * sent every time (largeProbeImage): throughput does not depend on which bytes, and a fresh image per
   * upload would cost the prober several copies of it in memory it does not give back.
   */
  image: Blob;
  /** The throughput the SLO asks of an upload, in MiB/s: at or above it the upload is `fast`. */
  minMiBps: number;
  /** The upload's time limit, login included; past it the upload is `slow` (it was not going to be fast). */
  timeoutMs: number;
  /** The time limit of deleting the image afterwards. */
  cleanupTimeoutMs: number;
}

export interface LargeUploadResult {
  outcome: LargeUploadOutcome;
  /** From the first byte sent to the answer; the time limit's when no answer came. */
  uploadSeconds: number;
  /** Bytes over uploadSeconds; 0 when the upload failed. */
  mibPerSecond: number;
  /** Why it failed, for the log (never a metric label). */
  error?: string;
  /** The image may still be stored: its upload was not answered, or its delete failed. */
  leftoverSuspected: boolean;
}

/**
 * One large upload, as a user on a good connection makes it through the edge: log in, upload the image,
 * time it from the request's start to its answer, delete the image. The throughput
 * it reaches is the platform's (the prober sits next to the edge, its bandwidth far above the SLO's), so an
 * upload below `minMiBps` is the platform's slowness, not the client's. Only the upload is timed: the login
 * is the login latency SLO's to judge.
 */
export async function runLargeUpload(
  client: PlatformClient,
  settings: LargeUploadSettings,
): Promise<LargeUploadResult> {
  const deadline = AbortSignal.timeout(settings.timeoutMs);
  const { image } = settings;
  let uploadStarted: number | undefined;
  try {
    const token = await withinDeadline(logIn(client, settings.account, deadline), deadline);
    uploadStarted = performance.now();
    const filename = await withinDeadline(client.upload(token, image, deadline), deadline);
    const uploadSeconds = (performance.now() - uploadStarted) / 1_000;
    const mibPerSecond = image.size / mebibyte / uploadSeconds;
    const deleted = await cleanUp(client, token, filename, settings.cleanupTimeoutMs);
    return {
      outcome: mibPerSecond >= settings.minMiBps ? 'fast' : 'slow',
      uploadSeconds,
      mibPerSecond,
      leftoverSuspected: !deleted,
    };
  } catch (error) {
    const uploadSeconds = uploadStarted === undefined ? 0 : (performance.now() - uploadStarted) / 1_000;
    return {
      // Past the time limit the upload was slower than the SLO asks, whatever it would have answered.
      outcome: deadline.aborted ? 'slow' : 'failed',
      uploadSeconds,
      mibPerSecond: 0,
      error: error instanceof Error ? error.message : String(error),
      // An upload sent and not answered may have been stored all the same.
      leftoverSuspected: uploadStarted !== undefined,
    };
  }
}
