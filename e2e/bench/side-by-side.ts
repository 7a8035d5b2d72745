// Two measurements compared side by side in the same run.

/** Runs `first` then `second`, or the other way round: alternating the order cancels drift. */
export async function inOrder<A, B>(swap: boolean, first: () => Promise<A>, second: () => Promise<B>): Promise<[A, B]> {
  if (!swap) return [await first(), await second()];
  const b = await second();
  return [await first(), b];
}
