import { createHash } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { ApiClient, mebibyte } from '@platform/test-client';
import { hashedUpload, residentBytes } from '../support/big-uploads.ts';
import { startOwnGateway } from '../support/stack.ts';

const heapLimitMb = 64;
const uploadBytes = 512 * mebibyte; // 8x the heap limit

test("an upload 8x larger than the services' heap limit streams through and back byte for byte", async () => {
  test.setTimeout(300_000);
  const gateway = await startOwnGateway('streaming', { nodeOptions: [`--max-old-space-size=${heapLimitMb}`] });
  try {
    const client = new ApiClient({ baseUrl: gateway.apiUrl });
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
      image: residentBytes(gateway.pids.image, 'VmHWM') / mebibyte,
      api: residentBytes(gateway.pids.api, 'VmHWM') / mebibyte,
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
    await gateway.stop();
  }
});
