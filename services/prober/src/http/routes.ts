import type { Express } from 'express';
import type { FinishedLargeUpload, Prober } from '../domain/prober.ts';

/**
 * GET /journeys/last, for an operator's curl: the last journey's outcome and duration and, once one has run,
 * the last large upload's outcome and throughput. Fields are picked, not spread, so internal ones stay inside;
 * an `error` left undefined is dropped by JSON.
 */
export function mountProberRoutes(app: Express, prober: Prober): void {
  app.get('/journeys/last', (_req, res) => {
    const last = prober.last();
    if (last === undefined) {
      res.json({ status: 'no journey has finished yet' });
      return;
    }
    const { outcome, durationSeconds, finishedAt, error } = last;
    const largeUpload = prober.lastLargeUpload();
    res.json({
      outcome,
      durationSeconds,
      finishedAt,
      error,
      largeUpload: largeUpload === undefined ? undefined : largeUploadSummary(largeUpload),
    });
  });
}

function largeUploadSummary({ outcome, bytes, uploadSeconds, mibPerSecond, finishedAt, error }: FinishedLargeUpload) {
  return { outcome, bytes, uploadSeconds, mibPerSecond, finishedAt, error };
}
