// isDatabaseUnavailable: node-postgres's own errors for a connection that is gone, or PostgreSQL's for a
// server going away, overloaded or cancelling, mean "unavailable" (a 503); anything else stays a bug (a 500).
// The messages are the driver's (node_modules/pg/lib/client.js).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { isDatabaseUnavailable } from '../../src/unavailability.ts';

/** An error as node-postgres reports PostgreSQL's ErrorResponse with this SQLSTATE. */
function databaseError(code: string): pg.DatabaseError {
  const error = new pg.DatabaseError(`SQLSTATE ${code}`, 0, 'error');
  error.code = code;
  return error;
}

describe('isDatabaseUnavailable, for node-postgres errors', () => {
  for (const message of [
    'Connection terminated unexpectedly',
    'connect ECONNREFUSED 127.0.0.1:5432',
    'timeout exceeded when trying to connect',
    // A pooled client whose connection failed when PostgreSQL restarted, asked for one more query.
    'Client has encountered a connection error and is not queryable',
    'Client was closed and is not queryable',
    // No answer within query_timeout.
    'Query read timeout',
  ])
    it(`"${message}" is unavailable`, () => {
      assert.equal(isDatabaseUnavailable(new Error(message)), true);
    });

  for (const [code, meaning] of [
    ['57014', 'statement_timeout cancelled the statement'],
    ['57P01', 'the server is shutting down'],
    ['53300', 'too many connections'],
    ['08006', 'the connection failed'],
  ] as const)
    it(`PostgreSQL's ${code} (${meaning}) is unavailable`, () => {
      assert.equal(isDatabaseUnavailable(databaseError(code)), true);
    });

  it("PostgreSQL's answer to a wrong query is not", () => {
    assert.equal(isDatabaseUnavailable(databaseError('42703')), false); // undefined_column
    assert.equal(isDatabaseUnavailable(databaseError('23505')), false); // unique_violation
  });

  it('any other error is not', () => {
    assert.equal(isDatabaseUnavailable(new Error('column "owner" does not exist')), false);
    assert.equal(isDatabaseUnavailable(new TypeError('Client was closed and is not queryable')), false);
  });
});
