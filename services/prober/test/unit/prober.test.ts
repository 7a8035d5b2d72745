import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@platform/runtime';
import type { JourneyResult } from '../../src/domain/journey.ts';
import type { LargeUploadResult } from '../../src/domain/large-upload.ts';
import { startProber } from '../../src/domain/prober.ts';
import { fakePlatform } from './fake-platform.ts';

describe('the prober', () => {
  it('follows the first journey and every third after it with a large upload, each counted', async () => {
    const platform = fakePlatform();
    const events: string[] = [];
    let journeys = 0;
    let stopped!: () => void;
    const done = new Promise<void>((resolve) => {
      stopped = resolve;
    });
    const prober = startProber({
      client: platform.client,
      logger: createLogger('prober-test', 'silent'),
      intervalMs: 1,
      account: { username: 'journey-prober', password: 'a long enough password' },
      imageBytes: 1_024,
      timeoutMs: 1_000,
      cleanupTimeoutMs: 200,
      record: (result: JourneyResult) => {
        events.push(`journey ${result.outcome}`);
        journeys += 1;
        if (journeys === 8) stopped();
      },
      largeUpload: {
        every: 3,
        bytes: 1024 * 1024,
        minMiBps: 1,
        timeoutMs: 1_000,
        cleanupTimeoutMs: 200,
        record: (result: LargeUploadResult) => events.push(`large ${result.outcome}`),
      },
    });
    await done;
    await prober.stop();
    const large = events.flatMap((event, index) => (event.startsWith('large') ? [index] : []));
    const journeyBefore = large.map((index) => events.slice(0, index).filter((e) => e.startsWith('journey')).length);
    assert.deepEqual(journeyBefore.slice(0, 3), [1, 4, 7], events.join(', '));
    assert.ok(
      events.every((event) => event === 'journey success' || event === 'large fast'),
      events.join(', '),
    );
    assert.equal(platform.images.size, 0, 'nothing left behind');
    assert.equal(prober.last()?.outcome, 'success');
    assert.deepEqual(
      { outcome: prober.lastLargeUpload()?.outcome, bytes: prober.lastLargeUpload()?.bytes },
      { outcome: 'fast', bytes: 1024 * 1024 },
    );
  });
});
