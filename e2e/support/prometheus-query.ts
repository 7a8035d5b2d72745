// Reading Prometheus from the suites: instant queries, and what counters gained between two readings.

export interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query's samples; a query Prometheus refuses throws with its error. */
export async function promQuery(prometheus: string, expr: string): Promise<InstantSample[]> {
  const response = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as { status: string; error?: string; data: { result: InstantSample[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? body.status}`);
  return body.data.result;
}

/** What counters gained between two readings (by label, as "200" or "upload_failed"), those that did not grow left out. */
export const minus = (after: Record<string, number>, before: Record<string, number>): Record<string, number> =>
  Object.fromEntries(
    Object.entries(after)
      .map(([key, total]): [string, number] => [key, total - (before[key] ?? 0)])
      .filter(([, added]) => added > 0),
  );
