import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mebibyte } from '@platform/test-client';
import { judge, renderTable } from '../report.ts';
import { formatNumber, mebibytesPerSecond, median, percentile, summarize, verdict } from '../stats.ts';

describe('median', () => {
  it('takes the middle value of an odd count, whatever the order', () => {
    assert.equal(median([5, 1, 3]), 3);
  });
  it('averages the middle two of an even count', () => {
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });
  it('ignores failed (non-finite) runs and is NaN without any', () => {
    assert.equal(median([Number.NaN, 2, Number.POSITIVE_INFINITY, 4]), 3);
    assert.ok(Number.isNaN(median([])));
  });
});

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const samples = Array.from({ length: 100 }, (_, index) => index + 1);
    assert.equal(percentile(samples, 50), 50);
    assert.equal(percentile(samples, 99), 99);
    assert.equal(percentile(samples, 100), 100);
    assert.equal(percentile([7], 99), 7);
  });
});

describe('summarize', () => {
  it('gives median, min and max and keeps every sample', () => {
    assert.deepEqual(summarize([3, 1, 2]), { median: 2, min: 1, max: 3, samples: [3, 1, 2] });
  });
});

describe('verdict', () => {
  it('meets a lower bound at or above it, and misses below', () => {
    const target = { comparison: '>=', value: 0.9 } as const;
    assert.equal(verdict(0.9, target), 'met');
    assert.equal(verdict(0.95, target), 'met');
    assert.equal(verdict(0.89, target), 'MISSED');
  });
  it('meets an upper bound at or below it, and misses above', () => {
    const target = { comparison: '<=', value: 16 } as const;
    assert.equal(verdict(16, target), 'met');
    assert.equal(verdict(16.1, target), 'MISSED');
  });
  it('has nothing to say without a target or a value', () => {
    assert.equal(verdict(1, undefined), 'n/a');
    assert.equal(verdict(Number.NaN, { comparison: '<=', value: 1 }), 'n/a');
  });
});

describe('the table', () => {
  it('judges the median of the runs, not the best one', () => {
    const judged = judge({
      name: 'upload.ratio',
      unit: 'x',
      samples: [0.95, 0.8, 0.85],
      target: { comparison: '>=', value: 0.9 },
      description: '',
    });
    assert.equal(judged.median, 0.85);
    assert.equal(judged.verdict, 'MISSED');
    const table = renderTable([judged]);
    assert.match(table, /\| upload\.ratio \| x +\| 0\.850 +\| 0\.800–0\.950 \| 3 +\| >= 0\.900 \| MISSED +\|/);
  });
});

describe('formatting', () => {
  it('keeps about three significant digits', () => {
    assert.equal(formatNumber(1234.5), '1235');
    assert.equal(formatNumber(12.345), '12.3');
    assert.equal(formatNumber(1.2345), '1.23');
    assert.equal(formatNumber(0.12345), '0.123');
    assert.equal(formatNumber(Number.NaN), '-');
  });
  it('turns bytes and milliseconds into MiB/s', () => {
    assert.equal(mebibytesPerSecond(256 * mebibyte, 2000), 128);
  });
});
