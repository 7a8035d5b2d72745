import { createHash, randomFillSync } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

/** What a journey uploads: a valid PNG of random pixels (never the same twice) and its digest. */
export interface ProbeImage {
  bytes: Buffer;
  sha256: string;
}

const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A journey's image: a random PNG of about `approximateBytes`, and its digest to compare what comes back with. */
export function randomPng(approximateBytes: number): ProbeImage {
  const bytes = randomPngBytes(approximateBytes);
  return { bytes, sha256: sha256Of(bytes) };
}

/**
 * A greyscale PNG of random pixels, about `approximateBytes` long: random pixels do not compress, so
 * the file is the pixels plus a few dozen bytes. The image service accepts images by their content
 * only, so the probe sends a real one.
 */
function randomPngBytes(approximateBytes: number): Buffer {
  const side = Math.max(1, Math.floor(Math.sqrt(approximateBytes)));
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  // Each row: filter type 0, then its pixels; filled in place (one buffer, not one per row: a large image
  // would otherwise cost the prober five copies of itself).
  const rows = randomFillSync(Buffer.allocUnsafe(side * (side + 1)));
  for (let row = 0; row < side; row += 1) rows[row * (side + 1)] = 0;
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    // Stored, not compressed: random pixels do not compress, and deflating 16 MiB of them takes a third of a second.
    chunk('IDAT', deflateSync(rows, { level: 0 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** The large upload's image: a random PNG of about `approximateBytes`, as a Blob to send again and again. */
export const largeProbeImage = (approximateBytes: number): Blob =>
  new Blob([randomPngBytes(approximateBytes)], { type: 'image/png' });
