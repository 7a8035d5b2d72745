/**
 * How a journey ends: `success` (the bytes uploaded came back identical and were deleted), or the
 * step that failed. The prober's counter carries exactly these values (a bounded label), and the
 * journey SLO (slo/specs/journey.yml) reads them.
 */
export const journeyOutcomes = [
  'success',
  /** Login (or the first registration) failed: the journey could not start. */
  'login_failed',
  /** The upload was not answered 201. */
  'upload_failed',
  /** The image answered 201 could not be read back. */
  'read_failed',
  /** It was read back, but not the bytes that were uploaded. */
  'checksum_mismatch',
  /** The same bytes came back, but the image could not be deleted. */
  'delete_failed',
  /** The journey ran past its time limit, whatever step it was in. */
  'timeout',
] as const;

export type JourneyOutcome = (typeof journeyOutcomes)[number];

/**
 * How a large upload ends (domain/large-upload.ts): `fast` (answered 201 at the throughput the SLO asks or
 * better), `slow` (answered 201 below it, or not answered within the time limit), `failed` (answered
 * otherwise). The large-upload throughput SLO (slo/specs/journey.yml) counts only `fast` as good.
 */
export const largeUploadOutcomes = ['fast', 'slow', 'failed'] as const;

export type LargeUploadOutcome = (typeof largeUploadOutcomes)[number];
