/** One sample of the Prometheus text exposition format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the samples of a /metrics page (comments and metadata lines are skipped). */
export function parseSamples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .flatMap((line) => {
      const match = sampleLine.exec(line);
      if (match === null) return [];
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(labelPair)].map((pair) => [pair[1] ?? '', pair[2] ?? '']),
      );
      return [{ name: match[1] ?? '', labels, value: Number(match[3]) }];
    });
}
