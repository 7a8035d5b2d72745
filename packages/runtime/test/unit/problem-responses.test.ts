import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, conflict, serviceUnavailable, unauthorized } from '../../src/errors.ts';
import { toAppError } from '../../src/http/problem-responses.ts';

describe('problem details', () => {
  it('renders an AppError as RFC 9457 fields, detail only when it adds something', () => {
    assert.deepEqual(conflict('That username is already taken.').toProblem(), {
      type: 'https://platform.example/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: 'That username is already taken.',
    });
    assert.equal(new AppError(418, 'teapot', 'Teapot').toProblem().detail, undefined);
  });

  it('carries the headers the status needs', () => {
    assert.equal(unauthorized().headers['WWW-Authenticate'], 'Bearer');
    assert.equal(serviceUnavailable('down').headers['Retry-After'], '1');
  });
});

describe('toAppError', () => {
  it('maps body-parser failures to 400, 413 and 415', () => {
    assert.equal(toAppError({ type: 'entity.parse.failed', status: 400 }).status, 400);
    assert.equal(toAppError({ type: 'entity.too.large', status: 413 }).status, 413);
    assert.equal(toAppError({ type: 'charset.unsupported', status: 415 }).status, 415);
  });

  it('keeps exposable client errors and hides everything else behind a bare 500', () => {
    assert.equal(toAppError({ status: 400, expose: true, message: 'bad' }).status, 400);
    const bug = toAppError(new TypeError('secret internals'));
    assert.equal(bug.status, 500);
    assert.doesNotMatch(JSON.stringify(bug.toProblem()), /secret internals/);
  });
});
