import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect, test } from '@playwright/test';
import { startServiceProcess, waitUntilReady, type ServiceProcess } from '../../scripts/local-stack/service-process.ts';
import { freePort } from '../../scripts/local-stack/testing.ts';
import { newUser } from '../support/accounts.ts';
import { runningStack } from '../support/stack.ts';

const mebibyte = 1024 * 1024;
const heapLimitMb = 64;
const uploadBytes = 512 * mebibyte; // 8x the heap limit

/** Peak resident memory of a process, from /proc (Linux). */
const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/** A multipart body holding a PNG header and `size` pseudo-random bytes, generated as it is read. */
function multipartUpload(size: number, boundary: string): { body: Readable; length: number; digest: Promise<string> } {
  const png = readFileSync(new URL('../fixtures/image.png', import.meta.url)).subarray(0, 41);
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const hash = createHash('sha256');
  let resolveDigest: (digest: string) => void = () => undefined;
  const digest = new Promise<string>((resolve) => { resolveDigest = resolve; });
  const block = randomBytes(mebibyte);
  const body = Readable.from((function* () {
    yield head;
    hash.update(png);
    yield png;
    for (let left = size; left > 0; left -= mebibyte) {
      const chunk = block.subarray(0, Math.min(mebibyte, left));
      hash.update(chunk);
      yield chunk;
    }
    resolveDigest(hash.digest('hex'));
    yield tail;
  })(), { objectMode: false });
  return { body, length: head.length + png.length + size + tail.length, digest };
}

test('an upload 8x larger than the services\' heap limit streams through and back byte for byte', async ({ request }) => {
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

    const { token } = await newUser(request, 'streamer');
    const boundary = `----platform${randomBytes(8).toString('hex')}`;
    const upload = multipartUpload(uploadBytes, boundary);
    const uploaded = await fetch(`http://127.0.0.1:${apiPort}/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(upload.length) },
      body: Readable.toWeb(upload.body),
      duplex: 'half',
    });
    expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    const { filename, size } = (await uploaded.json()) as { filename: string; size: number };
    expect(size).toBe(uploadBytes + 41);

    const download = await fetch(`http://127.0.0.1:${apiPort}/images/${filename}`, { headers: { authorization: `Bearer ${token}` } });
    expect(download.status).toBe(200);
    const hash = createHash('sha256');
    for await (const chunk of download.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
    expect(hash.digest('hex')).toBe(await upload.digest);

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
