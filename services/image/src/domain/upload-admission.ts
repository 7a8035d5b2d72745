import { KeyedSlots, Slots } from '@platform/runtime';
import { quotaExceeded, tooManyConcurrentUploads, uploadCapacityReached } from './upload-problems.ts';

export interface UploadAdmissionLimits {
  /** Uploads this process runs at once (its memory decides: upload-capacity.ts). */
  maxUploads: number;
  /** Uploads one account runs at once in this process. */
  maxUploadsPerUser: number;
  /** Bytes of images one account may keep. */
  quotaBytes: number;
}

export interface AdmittedUpload {
  /** Bytes the account may still store: the upload is cut once it passes them. */
  allowanceBytes: number;
  /** Frees the upload's slots; calling it again does nothing. */
  release: () => void;
}

/**
 * Decides, before any byte of the body is read, whether an upload may start: 503 when this process
 * runs all the uploads its memory allows, 429 when the account runs all it may, 413 quota-exceeded
 * when the account's images (plus the body's declared size, when known) exceed its quota. Slots are
 * counted in this process, so each replica bounds its own memory; the quota is read from the stored
 * images, so it holds across replicas (and is checked again when the image is recorded).
 */
export class UploadAdmission {
  readonly #quotaBytes: number;
  readonly #usedBytes: (ownerId: string) => Promise<number>;
  readonly #uploads: Slots;
  readonly #uploadsPerUser: KeyedSlots;

  constructor(limits: UploadAdmissionLimits, usedBytes: (ownerId: string) => Promise<number>) {
    this.#quotaBytes = limits.quotaBytes;
    this.#usedBytes = usedBytes;
    this.#uploads = new Slots(limits.maxUploads);
    this.#uploadsPerUser = new KeyedSlots(limits.maxUploadsPerUser);
  }

  /** Uploads running in this process now. */
  get running(): number {
    return this.#uploads.taken;
  }

  /** Admits an upload of at least `declaredBytes` (when the request says) for `ownerId`, or rejects with the problem. */
  async admit(ownerId: string, declaredBytes: number | undefined): Promise<AdmittedUpload> {
    // Both slots are taken before the quota look-up, so concurrent requests cannot all pass the checks at once.
    const releaseUpload = this.#uploads.tryTake();
    if (releaseUpload === undefined) throw uploadCapacityReached();
    const releaseUserUpload = this.#uploadsPerUser.tryTake(ownerId);
    if (releaseUserUpload === undefined) {
      releaseUpload();
      throw tooManyConcurrentUploads(this.#uploadsPerUser.limitPerKey);
    }
    const release = () => {
      releaseUserUpload();
      releaseUpload();
    };
    try {
      const used = await this.#usedBytes(ownerId);
      const allowanceBytes = this.#quotaBytes - used;
      if (allowanceBytes <= 0 || (declaredBytes ?? 0) > allowanceBytes) {
        throw quotaExceeded(this.#quotaBytes, used);
      }
      return { allowanceBytes, release };
    } catch (error) {
      release();
      throw error;
    }
  }
}
