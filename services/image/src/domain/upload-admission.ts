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
  readonly #limits: UploadAdmissionLimits;
  readonly #usedBytes: (ownerId: string) => Promise<number>;
  #running = 0;
  readonly #runningPerUser = new Map<string, number>();

  constructor(limits: UploadAdmissionLimits, usedBytes: (ownerId: string) => Promise<number>) {
    this.#limits = limits;
    this.#usedBytes = usedBytes;
  }

  /** Uploads running in this process now. */
  get running(): number {
    return this.#running;
  }

  /** Admits an upload of at least `declaredBytes` (when the request says) for `ownerId`, or rejects with the problem. */
  async admit(ownerId: string, declaredBytes: number | undefined): Promise<AdmittedUpload> {
    const { maxUploads, maxUploadsPerUser, quotaBytes } = this.#limits;
    if (this.#running >= maxUploads) throw uploadCapacityReached();
    const runningForUser = this.#runningPerUser.get(ownerId) ?? 0;
    if (runningForUser >= maxUploadsPerUser) throw tooManyConcurrentUploads(maxUploadsPerUser);
    // Taken before the quota look-up, so concurrent requests cannot all pass the checks above at once.
    this.#running += 1;
    this.#runningPerUser.set(ownerId, runningForUser + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#running -= 1;
      const left = (this.#runningPerUser.get(ownerId) ?? 1) - 1;
      if (left === 0) this.#runningPerUser.delete(ownerId);
      else this.#runningPerUser.set(ownerId, left);
    };
    try {
      const used = await this.#usedBytes(ownerId);
      const allowanceBytes = quotaBytes - used;
      if (allowanceBytes <= 0 || (declaredBytes ?? 0) > allowanceBytes) {
        throw quotaExceeded(quotaBytes, used);
      }
      return { allowanceBytes, release };
    } catch (error) {
      release();
      throw error;
    }
  }
}
