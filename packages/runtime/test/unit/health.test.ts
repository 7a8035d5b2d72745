import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Readiness } from '../../src/health.ts';

describe('Readiness', () => {
  it('is ready when every check answers', async () => {
    const readiness = new Readiness([{ name: 'db', check: () => Promise.resolve() }], 100);
    assert.deepEqual(await readiness.report(), { ready: true, checks: { db: 'ok' } });
  });

  it('reports a failing check by name and message', async () => {
    const readiness = new Readiness(
      [{ name: 'db', check: () => Promise.reject(new Error('connection refused')) }],
      100,
    );
    assert.deepEqual(await readiness.report(), { ready: false, checks: { db: 'connection refused' } });
  });

  it('answers within the time limit even when a check hangs and ignores its signal', async () => {
    const readiness = new Readiness([{ name: 's3', check: () => new Promise(() => undefined) }], 50);
    const started = Date.now();
    const report = await readiness.report();
    assert.equal(report.ready, false);
    assert.equal(report.checks['s3'], 'no answer within 50 ms');
    assert.ok(Date.now() - started < 1_000);
  });

  it('turns not ready once draining starts', async () => {
    const readiness = new Readiness([], 100);
    readiness.startDraining();
    assert.deepEqual(await readiness.report(), { ready: false, checks: { shutdown: 'draining' } });
  });
});
