import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runJourney, sweepLeftovers, type JourneySettings } from '../../src/domain/journey.ts';
import { sha256Of } from '../../src/domain/probe-image.ts';
import { fakePlatform } from './fake-platform.ts';

const settings: JourneySettings = {
  account: { username: 'journey-prober', password: 'a long enough password' },
  imageBytes: 1_024,
  timeoutMs: 200,
  cleanupTimeoutMs: 200,
};

const failing = () => Promise.reject(new Error('503 Service Unavailable'));
const hanging = () => new Promise<never>(() => undefined);

describe('a journey', () => {
  it('when all goes well: registers the account once, uploads, reads back the same bytes, deletes: success', async () => {
    const platform = fakePlatform();
    const first = await runJourney(platform.client, settings);
    assert.equal(first.outcome, 'success');
    assert.equal(first.leftoverSuspected, false);
    assert.deepEqual(platform.calls, ['login', 'register', 'login', 'upload', 'download', 'remove']);
    assert.equal(platform.images.size, 0, 'nothing left behind');

    platform.calls.length = 0;
    const second = await runJourney(platform.client, settings);
    assert.equal(second.outcome, 'success');
    assert.deepEqual(platform.calls, ['login', 'upload', 'download', 'remove'], 'no second registration');
    assert.ok(second.durationSeconds >= 0 && second.durationSeconds < 1);
  });

  it('uploads a real PNG of random bytes, different every time', async () => {
    const uploads: Buffer[] = [];
    const platform = fakePlatform();
    const upload = platform.client.upload;
    platform.client.upload = async (token, png, signal) => {
      uploads.push(Buffer.from(await png.arrayBuffer()));
      return upload(token, png, signal);
    };
    await runJourney(platform.client, settings);
    await runJourney(platform.client, settings);
    assert.equal(uploads.length, 2);
    for (const png of uploads)
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.notEqual(sha256Of(uploads[0] ?? Buffer.alloc(0)), sha256Of(uploads[1] ?? Buffer.alloc(0)));
    assert.ok((uploads[0]?.length ?? 0) >= settings.imageBytes * 0.9);
  });

  it('when login fails: login_failed, and nothing was uploaded', async () => {
    const platform = fakePlatform({ login: failing });
    const result = await runJourney(platform.client, settings);
    assert.equal(result.outcome, 'login_failed');
    assert.match(result.error ?? '', /503/);
    assert.ok(!platform.calls.includes('upload'));
    assert.equal(result.leftoverSuspected, false);
  });

  it('when the upload is refused: upload_failed', async () => {
    const platform = fakePlatform({ upload: failing });
    const result = await runJourney(platform.client, settings);
    assert.equal(result.outcome, 'upload_failed');
    assert.equal(platform.images.size, 0);
  });

  it('when the image cannot be read back: read_failed, and the image is deleted all the same', async () => {
    const platform = fakePlatform({ download: failing });
    const result = await runJourney(platform.client, settings);
    assert.equal(result.outcome, 'read_failed');
    assert.equal(platform.images.size, 0, 'the clean-up deleted it');
    assert.equal(result.leftoverSuspected, false);
  });

  it('when other bytes come back: checksum_mismatch, and the image is deleted', async () => {
    const platform = fakePlatform();
    const download = platform.client.download;
    platform.client.download = async (token, filename, signal) => {
      const bytes = Buffer.from(await download(token, filename, signal));
      bytes[bytes.length - 1] = (bytes.at(-1) ?? 0) ^ 0xff; // one byte flipped
      return bytes;
    };
    const result = await runJourney(platform.client, settings);
    assert.equal(result.outcome, 'checksum_mismatch');
    assert.match(result.error ?? '', /SHA-256/);
    assert.equal(platform.images.size, 0);
  });

  it('when the body comes back truncated: checksum_mismatch too', async () => {
    const platform = fakePlatform();
    const download = platform.client.download;
    platform.client.download = async (token, filename, signal) =>
      (await download(token, filename, signal)).subarray(0, 100);
    assert.equal((await runJourney(platform.client, settings)).outcome, 'checksum_mismatch');
  });

  it('when the delete fails: delete_failed, and the image is reported as possibly left behind', async () => {
    const platform = fakePlatform({ remove: failing });
    const result = await runJourney(platform.client, settings);
    assert.equal(result.outcome, 'delete_failed');
    assert.equal(result.leftoverSuspected, true);
  });

  it('when the image is gone before its delete: delete_failed (a 201 that did not keep the image)', async () => {
    const platform = fakePlatform({ remove: () => Promise.resolve(false) });
    assert.equal((await runJourney(platform.client, settings)).outcome, 'delete_failed');
  });

  for (const step of ['login', 'upload', 'download', 'remove'] as const) {
    it(`when ${step} never answers: timeout, within the journey's time limit`, async () => {
      const platform = fakePlatform({ [step]: hanging });
      const started = performance.now();
      const result = await runJourney(platform.client, settings);
      const elapsed = performance.now() - started;
      assert.equal(result.outcome, 'timeout');
      assert.ok(elapsed < settings.timeoutMs + settings.cleanupTimeoutMs + 100, `took ${String(elapsed)} ms`);
      if (step === 'download') assert.equal(platform.images.size, 0, 'deleted after the timeout');
      if (step === 'upload') assert.equal(result.leftoverSuspected, true, 'the upload may have been stored');
    });
  }

  it('passes each call a signal that aborts at the time limit', async () => {
    let seen: AbortSignal | undefined;
    const platform = fakePlatform({
      upload: (_token, _png, signal) => {
        seen = signal;
        return hanging();
      },
    });
    await runJourney(platform.client, settings);
    assert.equal(seen?.aborted, true);
  });
});

describe('the leftover sweep', () => {
  it("deletes every image in the prober's account", async () => {
    const platform = fakePlatform();
    platform.accounts.add(settings.account.username);
    platform.images.set('a_journey-probe.png', Buffer.from('a'));
    platform.images.set('b_journey-probe.png', Buffer.from('b'));
    assert.equal(await sweepLeftovers(platform.client, settings.account, 200), 2);
    assert.equal(platform.images.size, 0);
  });

  it('gives up at its time limit', async () => {
    const platform = fakePlatform({ list: hanging });
    await assert.rejects(sweepLeftovers(platform.client, settings.account, 50));
  });
});
