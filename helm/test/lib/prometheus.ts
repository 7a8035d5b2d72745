// A real Prometheus (the Debian package's) on a loopback port, evaluating the rules a test gives it:
// for scripts that query Prometheus, a server that answers as production's would.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { waitFor } from '../../../scripts/lib/wait.ts';
import { freePort } from '../../../scripts/lib/free-port.ts';

export interface RecordedSeries {
  record: string;
  labels: Record<string, string>;
  value: number;
}

export interface TestPrometheus {
  url: string;
  stop: () => Promise<void>;
}

/** Starts Prometheus recording each series as a constant, and resolves once all of them can be queried. */
export async function startPrometheus(series: RecordedSeries[]): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const rules = series.map(({ record, labels, value }) => ({ record, expr: `vector(${String(value)})`, labels }));
  writeFileSync(join(dir, 'rules.yml'), stringify({ groups: [{ name: 'fixture', interval: '1s', rules }] }));
  writeFileSync(join(dir, 'prometheus.yml'), stringify({ rule_files: [join(dir, 'rules.yml')] }));
  const url = `http://127.0.0.1:${String(await freePort())}`;
  const server = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${new URL(url).host}`,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) =>
    server.once('exit', () => {
      resolve();
    }),
  );
  const stop = async () => {
    server.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'Prometheus to record the fixture series',
      async () => {
        const query = new URLSearchParams({ query: `count({__name__=~"${series.map((s) => s.record).join('|')}"})` });
        const response = await fetch(`${url}/api/v1/query?${query.toString()}`);
        const body = (await response.json()) as { data?: { result: { value: [number, string] }[] } };
        return Number(body.data?.result[0]?.value[1] ?? 0) === series.length;
      },
      { timeoutMs: 30_000, giveUpIf: () => (server.exitCode === null ? undefined : 'Prometheus exited') },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
