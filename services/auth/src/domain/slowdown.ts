export interface SlowdownPolicy {
  /** Failures for a username before its attempts wait at all. */
  afterFailures: number;
  initialMs: number;
  maxMs: number;
}

/**
 * How long an attempt for a username waits before its password is checked, given the failures
 * counted for that username: nothing up to `afterFailures`, then `initialMs`, doubling with each
 * further failure, capped at `maxMs`. The right password is never refused, only made to wait.
 */
export function slowdownDelayMs(failures: number, { afterFailures, initialMs, maxMs }: SlowdownPolicy): number {
  if (failures < afterFailures) return 0;
  // The exponent is capped so the product stays a finite number however many failures there were.
  return Math.min(initialMs * 2 ** Math.min(failures - afterFailures, 30), maxMs);
}
