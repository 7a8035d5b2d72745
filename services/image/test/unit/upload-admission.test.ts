import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@platform/runtime';
import { UploadAdmission } from '../../src/domain/upload-admission.ts';

const refusedWith = (status: number, type: string) => (error: unknown) =>
  error instanceof AppError && error.status === status && error.type.endsWith(`/${type}`);

describe('upload admission', () => {
  const used = new Map<string, number>();
  const admission = () =>
    new UploadAdmission(
      // Room for three uploads of unknown or large size; a smaller declared one costs its size.
      {
        memoryBudgetBytes: 300,
        memoryCost: (declared) => Math.min(declared ?? 100, 100),
        maxUploadsPerUser: 2,
        quotaBytes: 1_000,
      },
      (owner) => Promise.resolve(used.get(owner) ?? 0),
    );

  it('refuses with 503 once the upload memory of the process is taken, and admits again once one is released', async () => {
    const uploads = admission();
    const running = [await uploads.admit('a', undefined), await uploads.admit('b', undefined)];
    running.push(await uploads.admit('c', undefined));
    await assert.rejects(uploads.admit('d', undefined), refusedWith(503, 'upload-capacity-reached'));
    running[0]?.release();
    running[0]?.release(); // twice frees one slot, not two
    await uploads.admit('d', undefined);
    await assert.rejects(uploads.admit('e', undefined), refusedWith(503, 'upload-capacity-reached'));
  });

  it('admits small declared uploads beyond the count of large ones, each at its own cost', async () => {
    const uploads = admission();
    await uploads.admit('a', undefined);
    await uploads.admit('b', undefined);
    for (const owner of ['c', 'd', 'e', 'f']) await uploads.admit(owner, 25);
    assert.equal(uploads.heldBytes, 300);
    await assert.rejects(uploads.admit('g', 1), refusedWith(503, 'upload-capacity-reached'));
  });

  it('refuses with 429 an account running its limit, while others are admitted', async () => {
    const uploads = admission();
    const first = await uploads.admit('a', undefined);
    await uploads.admit('a', undefined);
    await assert.rejects(uploads.admit('a', undefined), refusedWith(429, 'too-many-concurrent-uploads'));
    await uploads.admit('b', undefined);
    first.release();
    await uploads.admit('a', undefined); // one of its own ended: it may start another
    assert.equal(uploads.heldBytes, 300);
  });

  it('grants what is left of the quota, and refuses with 413 a declared size or an account that does not fit', async () => {
    const uploads = admission();
    used.set('q', 600);
    const admitted = await uploads.admit('q', 400);
    assert.equal(admitted.allowanceBytes, 400);
    admitted.release();
    await assert.rejects(uploads.admit('q', 401), refusedWith(413, 'quota-exceeded'));
    used.set('full', 1_000);
    await assert.rejects(uploads.admit('full', undefined), refusedWith(413, 'quota-exceeded'));
    assert.equal(uploads.heldBytes, 0, 'a refused upload holds no memory');
  });

  it('holds no slot for an upload whose quota could not be read', async () => {
    const uploads = new UploadAdmission(
      { memoryBudgetBytes: 1, memoryCost: () => 1, maxUploadsPerUser: 1, quotaBytes: 1 },
      () => Promise.reject(new Error('database down')),
    );
    await assert.rejects(uploads.admit('a', undefined), /database down/);
    assert.equal(uploads.heldBytes, 0);
  });
});
