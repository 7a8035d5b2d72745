// Pure helpers: summaries of repeated measurements and the verdict against a target.
import { mebibyte } from '@platform/test-client';

/** The median of the samples (the mean of the middle two for an even count); NaN when there are none. */
export function median(samples: readonly number[]): number {
  const sorted = finite(samples).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The value below which `percent` of the samples fall (nearest rank); NaN when there are none. */
export function percentile(samples: readonly number[], percent: number): number {
  const sorted = finite(samples).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((percent / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

/** Median, min and max of repeated runs of one measurement (non-finite samples are ignored). */
export function summarize(samples: readonly number[]): Summary {
  const kept = finite(samples);
  return {
    median: median(kept),
    min: kept.length === 0 ? Number.NaN : Math.min(...kept),
    max: kept.length === 0 ? Number.NaN : Math.max(...kept),
    samples: [...samples],
  };
}

export interface Target {
  comparison: '>=' | '<=';
  value: number;
}

export type Verdict = 'met' | 'MISSED' | 'n/a';

/** Judges a median against its target; a metric without a target, or without a value, gets "n/a". */
export function verdict(value: number, target: Target | undefined): Verdict {
  if (target === undefined || !Number.isFinite(value)) return 'n/a';
  const met = target.comparison === '>=' ? value >= target.value : value <= target.value;
  return met ? 'met' : 'MISSED';
}

/** A number with a sensible count of digits for a table: 3 significant digits, at most 2 decimals past 100. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '-';
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** A bytes-per-second figure in MiB/s. */
export const mebibytesPerSecond = (bytes: number, milliseconds: number): number =>
  bytes / mebibyte / (milliseconds / 1000);

const finite = (samples: readonly number[]) => samples.filter((sample) => Number.isFinite(sample));
