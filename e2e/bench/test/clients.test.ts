// The parallel-uploads client: refusals for capacity or concurrency are waited out and retried, and
// counted; any other failure ends the benchmark at once. A stand-in ApiClient answers as the API would.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnexpectedStatus, type ApiClient } from '@platform/test-client';
import { uploadRetryingRefusals } from '../clients.ts';

function standIn(answers: number[]): { client: ApiClient; calls: () => number } {
  let calls = 0;
  const upload = () => {
    const status = answers[calls] ?? 201;
    calls += 1;
    return status === 201
      ? Promise.resolve({ filename: `stored-${calls}.png` })
      : Promise.reject(new UnexpectedStatus('POST', '/upload', status, 201, '{"status":' + String(status) + '}'));
  };
  return { client: { upload } as unknown as ApiClient, calls: () => calls };
}

describe('uploadRetryingRefusals', () => {
  it('retries uploads refused with 503 or 429 until one is stored, and counts the refusals', async () => {
    const { client, calls } = standIn([503, 429, 201]);
    const refusals = { count: 0 };
    const stored = await uploadRetryingRefusals(client, 'token', 1024, refusals);
    assert.equal(stored.filename, 'stored-3.png');
    assert.equal(stored.bytes, 1024);
    assert.equal(refusals.count, 2);
    assert.equal(calls(), 3);
  });

  it('fails at once on any other answer', async () => {
    const { client, calls } = standIn([400]);
    const refusals = { count: 0 };
    await assert.rejects(uploadRetryingRefusals(client, 'token', 1024, refusals), { status: 400 });
    assert.equal(calls(), 1);
    assert.equal(refusals.count, 0);
  });

  it('gives up after its attempts, with the last refusal', async () => {
    const { client, calls } = standIn([503, 503, 503]);
    await assert.rejects(uploadRetryingRefusals(client, 'token', 1024, { count: 0 }, 2), { status: 503 });
    assert.equal(calls(), 2);
  });
});
