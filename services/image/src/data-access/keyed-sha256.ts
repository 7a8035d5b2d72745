import { createHash, createHmac, createSecretKey, type Hash } from 'node:crypto';

type SourceData = string | ArrayBuffer | ArrayBufferView;
type Hmac = ReturnType<typeof createHmac>;

/**
 * The SHA-256 that SigV4 signs with (smithy's Sha256, the same behaviour), but an HMAC's binary key
 * reaches node:crypto as a KeyObject. Node 24 checks a Buffer key's type on a slow path: an HMAC of a
 * short string with a Buffer key costs about 17 µs of CPU here, with a KeyObject made for it 5 µs.
 * Every signed request HMACs with the day's signing key, a Uint8Array (`node e2e/bench/read-path.ts`).
 */
export class KeyedSha256 {
  private readonly secret: SourceData | undefined;
  private hash: Hash | Hmac;
  private finished = false;

  constructor(secret?: SourceData) {
    this.secret = secret;
    this.hash = this.fresh();
  }

  update(data: Uint8Array): void {
    if (this.finished) throw new Error('Attempted to update an already finished hash.');
    this.hash.update(data);
  }

  digest(): Promise<Uint8Array> {
    // An HMAC is digested once; a plain hash may be read and then fed more (as smithy's allows).
    let bytes: Buffer;
    if (this.secret) {
      this.finished = true;
      bytes = this.hash.digest();
    } else {
      bytes = (this.hash as Hash).copy().digest();
    }
    return Promise.resolve(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  reset(): void {
    this.hash = this.fresh();
    this.finished = false;
  }

  private fresh(): Hash | Hmac {
    const secret = this.secret;
    if (!secret) return createHash('sha256');
    if (typeof secret === 'string') return createHmac('sha256', secret);
    const bytes = ArrayBuffer.isView(secret)
      ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)
      : new Uint8Array(secret);
    return createHmac('sha256', createSecretKey(bytes));
  }
}
