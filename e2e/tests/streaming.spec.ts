import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { ApiClient, generatedImage, mebibyte, streamedImage, type MultipartBody } from '@platform/test-client';
import { startServiceProcess, waitUntilReady, type ServiceProcess } from '../../scripts/local-stack/service-process.ts';
import { freePort } from '../../scripts/local-stack/testing.ts';
import { runningStack } from '../support/stack.ts';

const heapLimitMb = 64;
const uploadBytes = 512 * mebibyte; // 8x the heap limit

/** Peak resident memory of a process, from /proc (Linux). */
const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/** A generated PNG of `size` bytes as a streamed upload, and the file's digest once all of it is sent. */
function hashedUpload(size: number): { upload: MultipartBody; digest: Promise<string> } {
  const hash = createHash('sha256');
  const digest = Promise.withResolvers<string>();
  function* hashed() {
    for (const chunk of generatedImage(size)) {
      hash.update(chunk);
      yield chunk;
    }
    digest.resolve(hash.digest('hex'));
  }
  return { upload: streamedImage(hashed(), { filename: 'big.png', size }), digest: digest.promise };
}

test('an upload 8x larger than the services\' heap limit streams through and back byte for byte', async () => {
  test.setTimeout(300_000);
  const stack = runningStack();
  const logDir = join(stack.stateDir, 'logs');
  const [imagePort, imageMetrics, apiPort, apiMetrics] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const processes: ServiceProcess[] = [];
  try {
    const image = startServiceProcess({
      name: 'image', entry: 'services/image/src/main.ts', watch: false, maxOldSpaceMb: heapLimitMb, logFile: join(logDir, 'streaming-image.log'),
      env: { ...stack.services.image.env, PORT: String(imagePort), METRICS_PORT: String(imageMetrics) },
    });
    const api = startServiceProcess({
      name: 'api', entry: 'services/api/src/main.ts', watch: false, maxOldSpaceMb: heapLimitMb, logFile: join(logDir, 'streaming-api.log'),
      env: { ...stack.services.api.env, PORT: String(apiPort), METRICS_PORT: String(apiMetrics), IMAGE_URL: `http://127.0.0.1:${imagePort}` },
    });
    processes.push(image, api);
    expect(await waitUntilReady(`http://127.0.0.1:${imagePort}/readyz`, 60_000, image.exited)).toBe(true);
    expect(await waitUntilReady(`http://127.0.0.1:${apiPort}/readyz`, 60_000, api.exited)).toBe(true);

    const client = new ApiClient({ baseUrl: `http://127.0.0.1:${apiPort}` });
    const { token } = await client.newAccount('streamer');
    const { upload, digest } = hashedUpload(uploadBytes);
    const { filename, size } = await client.upload(token, upload); // throws with the problem unless 201
    expect(size).toBe(uploadBytes);

    const download = await client.download(token, filename); // throws unless 200
    const hash = createHash('sha256');
    for await (const chunk of (download.body ?? []) as AsyncIterable<Uint8Array>) hash.update(chunk);
    expect(hash.digest('hex')).toBe(await digest);

    // Buffering the file anywhere would show as hundreds of MiB of resident memory.
    const peaks = { image: peakRssMb(image.pid ?? 0), api: peakRssMb(api.pid ?? 0) };
    test.info().annotations.push({ type: 'peak RSS (MiB)', description: `image ${peaks.image.toFixed(0)}, api ${peaks.api.toFixed(0)} for a ${uploadBytes / mebibyte} MiB upload with a ${heapLimitMb} MiB heap limit` });
    console.log(`streaming: ${uploadBytes / mebibyte} MiB round trip, --max-old-space-size=${heapLimitMb}, peak RSS image ${peaks.image.toFixed(0)} MiB, api ${peaks.api.toFixed(0)} MiB`);
    expect(peaks.image).toBeLessThan(uploadBytes / mebibyte / 2);
    expect(peaks.api).toBeLessThan(uploadBytes / mebibyte / 2);
  } finally {
    await Promise.all(processes.map((process) => process.stop(10_000)));
  }
});
