import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitForDatabase } from '../../src/wait-for-database.ts';
import { startTestDatabase } from '../../../../scripts/local-stack/testing.ts';

/** The migration Job's wait (helm/charts/migrations): it must pass once PostgreSQL answers, and give up on time. */
let database: Awaited<ReturnType<typeof startTestDatabase>> | undefined;

describe('waitForDatabase', () => {
  before(async () => {
    database = await startTestDatabase({ migrate: false });
  });
  after(async () => {
    await database?.dispose();
  });

  it('resolves at once when the database answers', async () => {
    const retries: string[] = [];
    await waitForDatabase(database?.url ?? '', 10, (message) => {
      retries.push(message);
    });
    assert.deepEqual(retries, []);
  });

  it('retries while nothing answers, then gives up with the last error after the time it was given', async () => {
    const closed = (database?.url ?? '').replace(/:(\d+)\//, ':1/');
    const retries: string[] = [];
    const started = Date.now();
    await assert.rejects(
      waitForDatabase(closed, 2, (message) => {
        retries.push(message);
      }),
      /ECONNREFUSED/,
    );
    const seconds = (Date.now() - started) / 1000;
    assert.ok(retries.length >= 2, `${retries.length} retries`);
    assert.ok(seconds >= 1.5 && seconds < 10, `gave up after ${seconds} s`);
  });
});
