import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { ApiClient, generatedImage, mebibyte, streamedImage, type MultipartBody } from '@platform/test-client';
import { httpOk } from '../../scripts/local-stack/probes.ts';
import { startComponents, type Component } from '../../scripts/local-stack/supervisor.ts';
import { freePort } from '../../scripts/local-stack/testing.ts';
import { runningStack } from '../support/stack.ts';

const heapLimitMb = 64;
const uploadBytes = 512 * mebibyte; // 8x the heap limit

/** Peak resident memory of a process, from /proc (Linux). */
const peakRssMb = (pid: number) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

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

test("an upload 8x larger than the services' heap limit streams through and back byte for byte", async () => {
  test.setTimeout(300_000);
  const stack = runningStack();
  const logDir = join(stack.stateDir, 'logs');
  const [imagePort, imageMetrics, apiPort, apiMetrics] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  // The stack's own image and api, again on ports of their own with a small heap limit.
  const limited = (name: 'image' | 'api', port: number, env: Record<string, string>): Component => ({
    name: `streaming-${name}`,
    process: {
      command: process.execPath,
      args: [`--max-old-space-size=${heapLimitMb}`, `services/${name}/src/main.ts`],
      env: () => env,
    },
    ready: httpOk(`http://127.0.0.1:${port}/readyz`),
  });
  const services = await startComponents(
    [
      limited('image', imagePort, {
        ...stack.services.image.env,
        PORT: String(imagePort),
        METRICS_PORT: String(imageMetrics),
      }),
      limited('api', apiPort, {
        ...stack.services.api.env,
        PORT: String(apiPort),
        METRICS_PORT: String(apiMetrics),
        IMAGE_URL: `http://127.0.0.1:${imagePort}`,
      }),
    ],
    { logsDir: logDir, pidsDir: join(stack.stateDir, 'streaming-pids'), onProgress: () => undefined },
  );
  try {
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
    const peaks = {
      image: peakRssMb(services.pid('streaming-image') ?? 0),
      api: peakRssMb(services.pid('streaming-api') ?? 0),
    };
    test.info().annotations.push({
      type: 'peak RSS (MiB)',
      description: `image ${peaks.image.toFixed(0)}, api ${peaks.api.toFixed(0)} for a ${uploadBytes / mebibyte} MiB upload with a ${heapLimitMb} MiB heap limit`,
    });
    console.log(
      `streaming: ${uploadBytes / mebibyte} MiB round trip, --max-old-space-size=${heapLimitMb}, peak RSS image ${peaks.image.toFixed(0)} MiB, api ${peaks.api.toFixed(0)} MiB`,
    );
    expect(peaks.image).toBeLessThan(uploadBytes / mebibyte / 2);
    expect(peaks.api).toBeLessThan(uploadBytes / mebibyte / 2);
  } finally {
    await services.stop();
  }
});
