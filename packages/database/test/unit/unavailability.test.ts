// isDatabaseUnavailable: node-postgres's own errors for a connection that is gone mean "unavailable" (a 503),
// anything else stays a bug (a 500). The messages are the driver's (node_modules/pg/lib/client.js).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDatabaseUnavailable } from '../../src/unavailability.ts';

describe('isDatabaseUnavailable, for node-postgres errors', () => {
  for (const message of [
    'Connection terminated unexpectedly',
    'connect ECONNREFUSED 127.0.0.1:5432',
    'timeout exceeded when trying to connect',
    // A pooled client whose connection failed when PostgreSQL restarted, asked for one more query.
    'Client has encountered a connection error and is not queryable',
    'Client was closed and is not queryable',
  ])
    it(`"${message}" is unavailable`, () => {
      assert.equal(isDatabaseUnavailable(new Error(message)), true);
    });

  it('any other error is not', () => {
    assert.equal(isDatabaseUnavailable(new Error('column "owner" does not exist')), false);
    assert.equal(isDatabaseUnavailable(new TypeError('Client was closed and is not queryable')), false);
  });
});
