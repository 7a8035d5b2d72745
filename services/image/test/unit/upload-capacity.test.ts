import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mebibyte } from '@platform/test-client';
import { uploadMemoryCost, uploadsThatFit } from '../../src/domain/upload-capacity.ts';

describe('concurrent uploads per process', () => {
  const chart = {
    memoryLimitBytes: 512 * mebibyte,
    memoryTargetPercent: 75,
    idleMemoryBytes: 176 * mebibyte,
    partSizeBytes: 8 * mebibyte,
    queueSize: 2,
    streamOverheadBytes: 8 * mebibyte,
  };

  it('cost an upload its part buffers (queue size + 1) and its stream overhead', () => {
    assert.equal(uploadMemoryCost(chart), 32 * mebibyte);
    assert.equal(uploadMemoryCost(chart, 96 * mebibyte), 32 * mebibyte);
  });

  it('cost a body declared smaller than the part buffers its own size and the stream overhead', () => {
    assert.equal(uploadMemoryCost(chart, 100 * 1024), 8 * mebibyte + 100 * 1024);
  });

  it('are as many as fit between the idle footprint and the memory target', () => {
    // (512 x 75% - 176) / 32 = 6.5
    assert.equal(uploadsThatFit(chart), 6);
    // (1024 x 75% - 176) / 32 = 18.5
    assert.equal(uploadsThatFit({ ...chart, memoryLimitBytes: 1024 * mebibyte }), 18);
    // (512 - 176) / 32 = 10.5: the whole limit, no headroom
    assert.equal(uploadsThatFit({ ...chart, memoryTargetPercent: 100 }), 10);
    // (512 x 75% - 176) / 48 = 4.3
    assert.equal(uploadsThatFit({ ...chart, queueSize: 4 }), 4);
  });

  it('are at least one, however tight the limit', () => {
    assert.equal(uploadsThatFit({ ...chart, memoryLimitBytes: 128 * mebibyte }), 1);
  });
});
