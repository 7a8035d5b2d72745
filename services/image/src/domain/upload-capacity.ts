export interface UploadCapacityInputs {
  /** The memory the process may use: the container's limit, or the machine's memory when none is set. */
  memoryLimitBytes: number;
  /** The share of that limit, in percent, the process plans to reach at its peak. */
  memoryTargetPercent: number;
  /** Resident memory with no upload running. */
  idleMemoryBytes: number;
  partSizeBytes: number;
  /** Parts in flight per upload. */
  queueSize: number;
  /** What an upload holds besides its part buffers (socket and parser chunks not yet collected). */
  streamOverheadBytes: number;
}

/**
 * Memory one upload can hold at its peak: the object store copies the stream into at most
 * queue size + 1 part buffers (queueSize in flight, one filling), plus the stream's own overhead.
 * A body declared smaller than those buffers fills only its own size (HTTP framing keeps it to it).
 */
export function uploadMemoryCost(inputs: UploadCapacityInputs, declaredBytes?: number): number {
  const partBuffers = inputs.partSizeBytes * (inputs.queueSize + 1);
  return Math.min(declaredBytes ?? partBuffers, partBuffers) + inputs.streamOverheadBytes;
}

/**
 * How many uploads of unknown or large size fit under the memory target at once:
 *
 *   floor((memory limit x target % - idle footprint) / (part size x (queue size + 1) + stream overhead))
 *
 * and at least one, so a service whose limit is too tight still takes uploads one at a time. Their
 * memory is what all uploads share; each is admitted at its own cost, so small images take less.
 */
export function uploadsThatFit(inputs: UploadCapacityInputs): number {
  const budget = Math.floor((inputs.memoryLimitBytes * inputs.memoryTargetPercent) / 100) - inputs.idleMemoryBytes;
  return Math.max(1, Math.floor(budget / uploadMemoryCost(inputs)));
}
