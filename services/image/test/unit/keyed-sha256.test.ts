// The object reader's SHA-256 must sign exactly as smithy's: same digests, same SigV4 signatures.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { KeyedSha256 } from '../../src/data-access/keyed-sha256.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const hex = (digest: Uint8Array) => Buffer.from(digest).toString('hex');

describe('KeyedSha256', () => {
  it('hashes as SHA-256, and may be read and fed more', async () => {
    const hash = new KeyedSha256();
    hash.update(bytes('abc'));
    assert.equal(hex(await hash.digest()), createHash('sha256').update('abc').digest('hex'));
    hash.update(bytes('def'));
    assert.equal(hex(await hash.digest()), createHash('sha256').update('abcdef').digest('hex'));
  });

  it('keys an HMAC with a string, or with bytes anywhere in a larger buffer', async () => {
    const key = Buffer.from([0xff, 0x00, 0x80, 0x41, 0x42, 0xfe]);
    const padded = Buffer.concat([Buffer.from('padding'), key]);
    const view = new Uint8Array(padded.buffer, padded.byteOffset + 7, key.length);
    for (const [secret, expected] of [
      ['AWS4secret', createHmac('sha256', 'AWS4secret')],
      [view, createHmac('sha256', key)],
      [key.buffer.slice(key.byteOffset, key.byteOffset + key.length), createHmac('sha256', key)],
    ] as const) {
      const hmac = new KeyedSha256(secret);
      hmac.update(bytes('20261206'));
      assert.equal(hex(await hmac.digest()), expected.update('20261206').digest('hex'));
      assert.throws(() => {
        hmac.update(bytes('more'));
      }, /already finished/);
    }
  });

  it('gives the same SigV4 signature as smithy’s own Sha256', async () => {
    const request = {
      method: 'GET',
      protocol: 'http:',
      hostname: '127.0.0.1:9000',
      path: '/images/user/f%C3%BCr.png',
      query: {},
      headers: { host: '127.0.0.1:9000', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    };
    const sign = (sha256: typeof Sha256 | typeof KeyedSha256) =>
      new SignatureV4({
        service: 's3',
        region: 'us-east-1',
        credentials: { accessKeyId: 'image-service', secretAccessKey: 'a secret of the image service' },
        sha256,
        uriEscapePath: false,
        applyChecksum: false,
      }).sign(request, { signingDate: new Date('2026-12-06T05:00:00Z') });
    const [ours, smithys] = await Promise.all([sign(KeyedSha256), sign(Sha256)]);
    assert.match(String(ours.headers['authorization']), /Signature=[0-9a-f]{64}$/);
    assert.equal(ours.headers['authorization'], smithys.headers['authorization']);
  });
});
