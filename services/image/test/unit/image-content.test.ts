import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { AppError } from '@platform/runtime';
import { SizeLimit, sniffImage } from '../../src/domain/image-content.ts';

const png = readFileSync(new URL('../../../../e2e/fixtures/image.png', import.meta.url));
/** Splits bytes into small chunks, as a network would deliver them. */
const chunked = (bytes: Buffer, size = 7) =>
  Readable.from(
    Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)),
  );

const signatures: Record<string, Buffer> = {
  'image/jpeg': Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(60)]),
  'image/gif': Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(58)]),
  'image/webp': Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 '), Buffer.alloc(48)]),
};

describe('sniffImage', () => {
  it('recognises a PNG by its bytes and hands back the whole content, first bytes included', async () => {
    const { contentType, content } = await sniffImage(chunked(png));
    assert.equal(contentType, 'image/png');
    const chunks: Buffer[] = [];
    for await (const chunk of content) chunks.push(chunk as Buffer);
    assert.ok(Buffer.concat(chunks).equals(png));
  });

  for (const [type, bytes] of Object.entries(signatures)) {
    it(`recognises ${type}`, async () => {
      assert.equal((await sniffImage(Readable.from([bytes]))).contentType, type);
    });
  }

  it('refuses content that is not an accepted image, whatever it is called (415)', async () => {
    for (const bytes of [
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      Buffer.from('%PDF-1.7\n'),
      Buffer.from('MZ\x90\x00'),
    ]) {
      await assert.rejects(
        sniffImage(Readable.from([bytes])),
        (error: unknown) => error instanceof AppError && error.status === 415,
      );
    }
  });

  it('refuses empty content (400)', async () => {
    await assert.rejects(
      sniffImage(Readable.from([])),
      (error: unknown) => error instanceof AppError && error.status === 400,
    );
  });
});

describe('SizeLimit', () => {
  it('counts the bytes that pass', async () => {
    const limit = new SizeLimit(10);
    await pipeline(Readable.from([Buffer.from('12345'), Buffer.from('67890')]), limit, async (source) => text(source));
    assert.equal(limit.bytes, 10);
  });

  it('fails with 413 one byte past the limit', async () => {
    const limit = new SizeLimit(10);
    await assert.rejects(
      pipeline(Readable.from([Buffer.from('123456'), Buffer.from('78901')]), limit, async (source) => text(source)),
      (error: unknown) => error instanceof AppError && error.status === 413,
    );
  });
});
