// The benchmark's output: a table for the terminal and results/latest.json for machines.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatNumber, summarize, verdict, type Summary, type Target, type Verdict } from './stats.ts';

export interface Metric {
  /** A stable name, e.g. "upload.ratio" or "upload.api.256MiB". */
  name: string;
  unit: string;
  /** One value per run; the table reports their median and range. */
  samples: number[];
  target?: Target;
  description: string;
}

export interface JudgedMetric extends Metric, Summary {
  verdict: Verdict;
}

export const judge = (metric: Metric): JudgedMetric => {
  const summary = summarize(metric.samples);
  return { ...metric, ...summary, verdict: verdict(summary.median, metric.target) };
};

const formatTarget = (target: Target | undefined) =>
  target === undefined ? '' : `${target.comparison} ${formatNumber(target.value)}`;

/** A plain-text table (also valid Markdown): metric, median, min-max, target, verdict. */
export function renderTable(metrics: readonly JudgedMetric[]): string {
  const rows = [
    ['metric', 'unit', 'median', 'min–max', 'runs', 'target', 'verdict'],
    ...metrics.map((metric) => [
      metric.name,
      metric.unit,
      formatNumber(metric.median),
      `${formatNumber(metric.min)}–${formatNumber(metric.max)}`,
      String(metric.samples.length),
      formatTarget(metric.target),
      metric.target === undefined ? '' : metric.verdict,
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const [header = [], ...body] = rows;
  return [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  mode: 'quick' | 'full';
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  stack: { reused: boolean; s3: string; stateDir: string };
  parameters: Record<string, unknown>;
  metrics: JudgedMetric[];
}

export function writeReport(file: string, report: BenchReport): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
