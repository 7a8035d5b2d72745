import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { tooManyRequests } from '../errors.ts';

export interface FailureLimitOptions {
  /** How many 401 answers a key may get per window before it is refused. */
  limit: number;
  windowSeconds: number;
  /** Whose failures are counted together; the client address when omitted. */
  key?: (req: Request) => string;
  /** Told about every refused request, e.g. to count it in a metric. */
  onRefused?: (req: Request) => void;
}

/**
 * Refuses, with 429 and Retry-After, a key whose requests were answered 401 `limit` times within
 * the window. Only those count: honest traffic is never throttled, and neither are users after an
 * outage of ours (a 503 is not a guess). Counters live in this process: each replica limits on its own, which bounds guessing per
 * replica; a shared store (Redis) would make the limit global.
 */
export function failureLimit({ limit, windowSeconds, key, onRefused }: FailureLimitOptions): RequestHandler {
  return rateLimit({
    windowMs: windowSeconds * 1000,
    limit,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    ...(key === undefined ? {} : { keyGenerator: key }),
    handler: (req, _res, next) => {
      onRefused?.(req);
      next(tooManyRequests('Too many failed attempts: wait for the time in Retry-After, then try again.'));
    },
  });
}
