// Test data every suite shares: the fixture image (read once), generated images of any size, and
// fresh credentials.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const mebibyte = 1024 * 1024;

/** e2e/fixtures/image.png, the image of the seed README's walk-through. */
export const fixtureImage = readFileSync(new URL('../../../e2e/fixtures/image.png', import.meta.url));

/** The PNG signature and IHDR chunk of the fixture, and the next chunk's header: enough to sniff. */
const pngHead = fixtureImage.subarray(0, 41);
const block = randomBytes(mebibyte);

/**
 * A PNG of `size` bytes, generated as it is read, in chunks of at most a mebibyte: the fixture's
 * head (the image service sniffs content), then pseudo-random padding. Nothing the size of the file is held.
 */
export function* generatedImage(size: number): Generator<Buffer> {
  if (size < pngHead.length) throw new Error(`a generated image needs at least ${pngHead.length} bytes`);
  yield pngHead;
  for (let left = size - pngHead.length; left > 0; left -= block.length) {
    yield block.subarray(0, Math.min(block.length, left));
  }
}

export interface Credentials {
  username: string;
  password: string;
}

export const uniqueUsername = (prefix = 'user') => `${prefix}-${randomBytes(5).toString('hex')}`;

/** A username no earlier run has taken, with a password the auth service accepts. */
export const newCredentials = (prefix?: string, password = 'correct horse battery staple'): Credentials => ({
  username: uniqueUsername(prefix),
  password,
});
