import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { failureLimit } from '../../src/http/failure-limit.ts';
import { problemErrorHandler } from '../../src/http/problem-responses.ts';
import { createLogger } from '../../src/logger.ts';

let base: string;
let close: () => void;
let refused = 0;

before(async () => {
  const app = express();
  // Answers ?status=N, counted per ?key=K; a limit of 3 failures a minute.
  const limit = failureLimit({
    limit: 3,
    windowSeconds: 60,
    key: (req) => req.query['key'] as string,
    onRefused: () => {
      refused += 1;
    },
  });
  app.get('/attempt', limit, (req, res) => {
    res.status(Number(req.query['status'])).json({});
  });
  app.use(problemErrorHandler(createLogger('test', 'silent')));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => {
    server.close();
  };
});
after(() => {
  close();
});

const attempt = (key: string, status: number) => fetch(`${base}/attempt?key=${key}&status=${status}`);

describe('failure limit', () => {
  it('refuses a key with 429, Retry-After and a problem after `limit` answers of 401', async () => {
    for (let i = 0; i < 3; i += 1) assert.equal((await attempt('guesser', 401)).status, 401);
    const response = await attempt('guesser', 200);
    assert.equal(response.status, 429);
    assert.ok(Number(response.headers.get('retry-after')) > 0);
    assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal(((await response.json()) as { status: number }).status, 429);
    assert.equal(refused, 1);
  });

  it('counts each key on its own', async () => {
    assert.equal((await attempt('someone-else', 401)).status, 401);
  });

  it('never counts successes, nor failures of ours such as 503', async () => {
    for (let i = 0; i < 10; i += 1) assert.equal((await attempt('honest', 200)).status, 200);
    for (let i = 0; i < 10; i += 1) assert.equal((await attempt('during-an-outage', 503)).status, 503);
    assert.equal((await attempt('during-an-outage', 401)).status, 401);
  });
});
