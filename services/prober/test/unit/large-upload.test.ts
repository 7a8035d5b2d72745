import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { runLargeUpload, type LargeUploadSettings } from '../../src/domain/large-upload.ts';
import { largeProbeImage } from '../../src/domain/probe-image.ts';
import { fakePlatform } from './fake-platform.ts';

const mebibyte = 1024 * 1024;
// 1 MiB at 10 MiB/s or better: fast within 100 ms, slow after it.
const settings: LargeUploadSettings = {
  account: { username: 'journey-prober', password: 'a long enough password' },
  image: largeProbeImage(mebibyte),
  minMiBps: 10,
  timeoutMs: 400,
  cleanupTimeoutMs: 200,
};

/** The fake platform's upload, answered after `ms`. */
const uploadTaking = (platform: ReturnType<typeof fakePlatform>, ms: number) => ({
  upload: async (_token: string, png: Blob, signal: AbortSignal) => {
    await sleep(ms, undefined, { signal });
    platform.images.set(`${String(png.size)}_large.png`, Buffer.from(await png.arrayBuffer()));
    return `${String(png.size)}_large.png`;
  },
});

describe('a large upload', () => {
  it('answered 201 above the throughput asked: fast, timed, and deleted afterwards', async () => {
    const platform = fakePlatform();
    const result = await runLargeUpload(platform.client, settings);
    assert.equal(result.outcome, 'fast');
    assert.ok(result.mibPerSecond >= settings.minMiBps, `${String(result.mibPerSecond)} MiB/s`);
    assert.deepEqual(platform.calls, ['login', 'register', 'login', 'upload', 'remove']);
    assert.equal(platform.images.size, 0, 'nothing left behind');
    assert.equal(result.leftoverSuspected, false);
  });

  it('sends a real PNG of about the size asked', async () => {
    let sent = Buffer.alloc(0);
    const platform = fakePlatform({
      upload: async (_token, png) => {
        sent = Buffer.from(await png.arrayBuffer());
        return 'x_large.png';
      },
    });
    await runLargeUpload(platform.client, settings);
    assert.ok(
      Math.abs(sent.length - mebibyte) < 16 * 1024,
      `sent ${String(sent.length)} bytes for ${String(mebibyte)}`,
    );
    assert.deepEqual([...sent.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('answered 201 below the throughput asked: slow, with the throughput it reached', async () => {
    const platform = fakePlatform();
    const slowPlatform = fakePlatform(uploadTaking(platform, 200));
    const result = await runLargeUpload(slowPlatform.client, settings);
    assert.equal(result.outcome, 'slow');
    assert.ok(result.uploadSeconds >= 0.2, `${String(result.uploadSeconds)} s`);
    assert.ok(result.mibPerSecond > 0 && result.mibPerSecond < settings.minMiBps, String(result.mibPerSecond));
  });

  it('not answered within its time limit: slow, within the limit, the image suspected left behind', async () => {
    const platform = fakePlatform({ upload: () => new Promise<never>(() => undefined) });
    const started = performance.now();
    const result = await runLargeUpload(platform.client, settings);
    const elapsed = performance.now() - started;
    assert.equal(result.outcome, 'slow');
    assert.ok(elapsed < settings.timeoutMs + 100, `took ${String(elapsed)} ms`);
    assert.equal(result.leftoverSuspected, true, 'the upload may have been stored');
  });

  it('refused (a 503): failed, throughput 0, nothing to delete', async () => {
    const platform = fakePlatform({ upload: () => Promise.reject(new Error('upload: 503 (expected 201)')) });
    const result = await runLargeUpload(platform.client, settings);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.mibPerSecond, 0);
    assert.match(result.error ?? '', /503/);
    assert.ok(!platform.calls.includes('remove'));
  });

  it('when the login fails: failed, and no upload was sent', async () => {
    const platform = fakePlatform({ login: () => Promise.reject(new Error('login: 503')) });
    const result = await runLargeUpload(platform.client, settings);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.leftoverSuspected, false);
    assert.ok(!platform.calls.includes('upload'));
  });

  it('when the delete afterwards fails: still judged by its upload, the image reported as left behind', async () => {
    const platform = fakePlatform({ remove: () => Promise.reject(new Error('503')) });
    const result = await runLargeUpload(platform.client, settings);
    assert.equal(result.outcome, 'fast');
    assert.equal(result.leftoverSuspected, true);
  });
});
