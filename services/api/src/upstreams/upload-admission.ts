import { AppError, Slots, type ReleaseSlot } from '@platform/runtime';

/**
 * Seconds a refused upload is told to wait: a slot frees when any upload in flight ends, and a
 * client retrying a whole upload every second would only add to the crowd.
 */
export const uploadRetryAfterSeconds = 5;

/**
 * The uploads this gateway relays at once, at most one per connection of the upload pool. An
 * upload that finds every slot taken is refused at once: queueing it behind uploads that may take
 * minutes would only turn a clear 503 into a client timeout.
 */
export function createUploadAdmission(limit: number): { admit: () => ReleaseSlot } {
  const slots = new Slots(limit);
  return {
    admit: () => {
      const release = slots.tryTake();
      if (release !== undefined) return release;
      throw new AppError(503, 'service-unavailable', 'Service unavailable', {
        detail: 'Too many uploads are in progress; try again shortly.',
        headers: { 'Retry-After': String(uploadRetryAfterSeconds) },
      });
    },
  };
}
