// Measurements compared side by side in the same run.

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
