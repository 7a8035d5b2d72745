// Side-by-side measurements rotate their order, and each result keeps its task's place.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rotated } from '../side-by-side.ts';

function recorder() {
  const order: string[] = [];
  const task = (name: string) => () => {
    order.push(name);
    return Promise.resolve(name);
  };
  return { order, task };
}

describe('rotated', () => {
  it('alternates two tasks run by run, and answers in the tasks’ order', async () => {
    const { order, task } = recorder();
    assert.deepEqual(await rotated(1, [task('a'), task('b')]), ['a', 'b']);
    assert.deepEqual(order, ['b', 'a']);
  });

  it('starts with the start-th task, wraps around, and answers in the tasks’ order', async () => {
    for (const [start, expected] of [
      [0, ['a', 'b', 'c']],
      [1, ['b', 'c', 'a']],
      [5, ['c', 'a', 'b']],
    ] as const) {
      const { order, task } = recorder();
      assert.deepEqual(await rotated(start, [task('a'), task('b'), task('c')]), ['a', 'b', 'c']);
      assert.deepEqual(order, expected);
    }
  });
});
