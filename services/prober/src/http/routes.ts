import type { Express } from 'express';
import type { Prober } from '../domain/prober.ts';

/**
 * GET /journeys/last, for an operator's curl: the last journey's outcome and duration and, once one has run,
 * the last large upload's outcome and throughput.
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
      ...(error === undefined ? {} : { error }),
      ...(largeUpload === undefined ? {} : { largeUpload: largeUploadSummary(largeUpload) }),
    });
  });
}

function largeUploadSummary(result: NonNullable<ReturnType<Prober['lastLargeUpload']>>) {
  const { outcome, bytes, uploadSeconds, mibPerSecond, finishedAt, error } = result;
  return { outcome, bytes, uploadSeconds, mibPerSecond, finishedAt, ...(error === undefined ? {} : { error }) };
}
