import type { Express } from 'express';
import type { Prober } from '../domain/prober.ts';

/** GET /journeys/last: the last journey's outcome and duration, for an operator's curl. */
export function mountProberRoutes(app: Express, prober: Prober): void {
  app.get('/journeys/last', (_req, res) => {
    const last = prober.last();
    if (last === undefined) {
      res.json({ status: 'no journey has finished yet' });
      return;
    }
    const { outcome, durationSeconds, finishedAt, error } = last;
    res.json({ outcome, durationSeconds, finishedAt, ...(error === undefined ? {} : { error }) });
  });
}
