import { KeyedSlots, Slots } from '@platform/runtime';
import { quotaExceeded, tooManyConcurrentUploads, uploadCapacityReached } from './upload-problems.ts';

export interface UploadAdmissionLimits {
  /** The memory this process's uploads may hold together (upload-capacity.ts). */
  memoryBudgetBytes: number;
  /** The memory an upload of `declaredBytes` (undefined: not declared) may hold at its peak. */
  memoryCost: (declaredBytes: number | undefined) => number;
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
 * Decides, before any byte of the body is read, whether an upload may start: 503 when the memory this
 * process's uploads may hold has no room for this one's (its declared size, or the worst case), 429
 * when the account runs all it may, 413 quota-exceeded when the account's images (plus the body's
 * declared size, when known) exceed its quota. Slots are counted in this process, so each replica
 * bounds its own memory; the quota is read from the stored images, so it holds across replicas (and
 * is checked again when the image is recorded).
 */
export class UploadAdmission {
  readonly #quotaBytes: number;
  readonly #memoryCost: (declaredBytes: number | undefined) => number;
  readonly #usedBytes: (ownerId: string) => Promise<number>;
  readonly #memory: Slots;
  readonly #uploadsPerUser: KeyedSlots;

  constructor(limits: UploadAdmissionLimits, usedBytes: (ownerId: string) => Promise<number>) {
    this.#quotaBytes = limits.quotaBytes;
    this.#memoryCost = limits.memoryCost;
    this.#usedBytes = usedBytes;
    this.#memory = new Slots(limits.memoryBudgetBytes);
    this.#uploadsPerUser = new KeyedSlots(limits.maxUploadsPerUser);
  }

  /** Memory the uploads running in this process may hold now. */
  get heldBytes(): number {
    return this.#memory.taken;
  }

  /** Admits an upload of at least `declaredBytes` (when the request says) for `ownerId`, or rejects with the problem. */
  async admit(ownerId: string, declaredBytes: number | undefined): Promise<AdmittedUpload> {
    // Both slots are taken before the quota look-up, so concurrent requests cannot all pass the checks at once.
    const releaseUpload = this.#memory.tryTake(this.#memoryCost(declaredBytes));
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
