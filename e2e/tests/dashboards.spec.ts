import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from '@playwright/test';
import { waitFor } from '../../scripts/lib/wait.ts';
import { dashboards } from '../../slo/dashboards/panels.ts';
import { apiClient, runningStack } from '../support/stack.ts';

async function instantQuery(prometheus: string, expr: string): Promise<unknown[]> {
  const response = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  expect(body.status, `${expr}: ${body.error ?? ''}`).toBe('success');
  return body.data?.result ?? [];
}

test('every panel of every dashboard shows data once traffic has flowed', async ({ request }) => {
  test.setTimeout(180_000);
  const { prometheus } = runningStack();
  expect(prometheus, 'the stack runs no Prometheus: install it with scripts/tools/install.sh').not.toBeNull();
  if (prometheus === null) return;

  // Traffic that touches every panel: uploads, downloads, a refused token, a failed login.
  const client = apiClient();
  const { token } = await client.newAccount('dashboards');
  for (let round = 0; round < 3; round += 1) {
    const { filename } = await client.upload(token);
    await (await client.download(token, filename)).arrayBuffer();
    await request.get('/images', { headers: { Authorization: 'Bearer forged' } });
    await request.post('/login', { data: { username: 'nobody-here', password: 'wrong-password' } });
    await sleep(5_000); // one scrape interval between rounds, so rates have two samples
  }

  const empty: string[] = [];
  for (const dashboard of dashboards) {
    for (const panel of dashboard.panels) {
      for (const query of panel.queries) {
        const expr = query.expr.replaceAll('$__rate_interval', '1m');
        const answered = async () => (await instantQuery(prometheus.url, expr)).length > 0;
        await waitFor('no data', answered, { timeoutMs: 30_000, intervalMs: 5_000 }).catch(() => {
          empty.push(`${dashboard.title} / ${panel.title}: ${expr}`);
        });
      }
    }
  }
  expect(empty, 'panels with no data').toEqual([]);
});
