// The edge SLI's counter and latency histogram: the mtail program (config/edge.mtail) run by the real mtail, in its
// one-shot mode, over access-log lines written as nginx's log_format edge writes them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const program = new URL('../config/edge.mtail', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'edge-mtail-test-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** mtail's metrics after reading `lines`, as "name{labels} value" lines without its prog label. */
function metricsAfter(lines: string[]): string[] {
  const log = join(dir, 'access.log');
  writeFileSync(log, `${lines.join('\n')}\n`);
  const output = execFileSync(
    'mtail',
    ['--one_shot', '--one_shot_format=prometheus', '--progs', program, '--logs', log, '--logtostderr'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return output
    .split('\n')
    .filter((line) => line.startsWith('edge_'))
    .map((line) => line.replace(/prog="edge\.mtail",?|,?prog="edge\.mtail"/, '').replace('{}', ''));
}

const line = (status: number, method: string, seconds: string) =>
  `2026-12-03T10:00:00+00:00 ${String(status)} ${method} ${seconds} "/images/a.png"`;

describe('the edge mtail program', () => {
  const metrics = metricsAfter([
    line(200, 'GET', '0.012'),
    line(200, 'GET', '1.512'),
    line(502, 'POST', '0.250'),
    line(200, 'BREW', '0.001'),
  ]);

  it('counts requests by status and method, a made-up method as "other"', () => {
    assert.deepEqual(
      metrics.filter((metric) => metric.startsWith('edge_http_requests_total')),
      [
        'edge_http_requests_total{code="200",method="GET"} 2',
        'edge_http_requests_total{code="200",method="other"} 1',
        'edge_http_requests_total{code="502",method="POST"} 1',
      ],
    );
  });

  it("times every request by nginx's request time, in the SLOs' latency buckets", () => {
    assert.deepEqual(
      metrics.filter((metric) => metric.startsWith('edge_http_request_duration_seconds_bucket')),
      [
        'edge_http_request_duration_seconds_bucket{le="0.1"} 2',
        'edge_http_request_duration_seconds_bucket{le="0.3"} 3',
        'edge_http_request_duration_seconds_bucket{le="1"} 3',
        'edge_http_request_duration_seconds_bucket{le="2.5"} 4',
        'edge_http_request_duration_seconds_bucket{le="10"} 4',
        'edge_http_request_duration_seconds_bucket{le="+Inf"} 4',
      ],
    );
    assert.ok(metrics.includes('edge_http_request_duration_seconds_count 4'), metrics.join('\n'));
  });
});
