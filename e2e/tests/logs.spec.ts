import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from '@playwright/test';
import { apiClient, runningStack } from '../support/stack.ts';

test('request logs are one JSON line per request and never hold passwords or tokens', async ({ request }) => {
  const stack = runningStack();
  const password = `secret-${randomBytes(8).toString('hex')}`;
  const { token } = await apiClient().newAccount('logs', password);
  const requestId = `logs-test-${randomBytes(6).toString('hex')}`;
  expect(
    (
      await request.get('/images', { headers: { Authorization: `Bearer ${token}`, 'X-Request-Id': requestId } })
    ).status(),
  ).toBe(200);
  await sleep(500); // the log lines are flushed asynchronously

  const logs = Object.values(stack.services)
    .map((service) => readFileSync(service.log, 'utf8'))
    .join('\n');
  expect(logs).not.toContain(password);
  expect(logs).not.toContain(token);
  expect(logs).not.toContain(token.split('.')[2] ?? token); // not even the signature

  // The same request id and trace id in the gateway's line and the image service's, with route, status and duration.
  const lines = logs
    .split('\n')
    .filter((line) => line.includes(requestId))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines.map((line) => line['service']).sort()).toEqual(['api', 'image']);
  for (const line of lines) {
    expect(line).toMatchObject({
      msg: 'request completed',
      route: '/images',
      res: { statusCode: 200 },
      req: { id: requestId, method: 'GET' },
    });
    expect(typeof line['responseTime']).toBe('number');
    expect(line['trace_id']).toMatch(/^[0-9a-f]{32}$/);
  }
  expect(new Set(lines.map((line) => line['trace_id'])).size).toBe(1);
});
