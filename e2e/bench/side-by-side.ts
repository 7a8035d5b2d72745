// Two measurements compared side by side in the same run.

/** Runs `first` then `second`, or the other way round: alternating the order cancels drift. */
export async function inOrder<A, B>(swap: boolean, first: () => Promise<A>, second: () => Promise<B>): Promise<[A, B]> {
  if (!swap) return [await first(), await second()];
  const b = await second();
  return [await first(), b];
}

/** Runs the tasks one after another, starting with the `start`-th (modulo their number): rotating the start cancels drift. */
export async function rotated<T extends unknown[]>(
  start: number,
  tasks: { [K in keyof T]: () => Promise<T[K]> },
): Promise<T> {
  const results: unknown[] = [];
  for (let step = 0; step < tasks.length; step += 1) {
    const index = (start + step) % tasks.length;
    results[index] = await (tasks[index] as () => Promise<unknown>)();
  }
  return results as T;
}
