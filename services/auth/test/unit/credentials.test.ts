import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newPasswordSchema, usernameSchema } from '../../src/domain/credentials.ts';

describe('usernames', () => {
  it('are normalised to NFKC lower case, so look-alikes collide', () => {
    assert.equal(usernameSchema.parse('TestUser'), 'testuser');
    assert.equal(usernameSchema.parse('ｔｅｓｔｕｓｅｒ'), 'testuser'); // full-width letters
    assert.equal(usernameSchema.parse('ﬁsh'), 'fish'); // the "fi" ligature
  });

  it('refuse characters outside the plain alphabet, including look-alike scripts', () => {
    for (const name of ['tеst', 'a b', 'ab/../c', '.hidden', 'üser', 'x\u202Eevil', '']) {
      assert.equal(usernameSchema.safeParse(name).success, false, name);
    }
  });

  it('are 3 to 32 characters long', () => {
    assert.equal(usernameSchema.safeParse('ab').success, false);
    assert.equal(usernameSchema.safeParse('a'.repeat(32)).success, true);
    assert.equal(usernameSchema.safeParse('a'.repeat(33)).success, false);
  });
});

describe('new passwords', () => {
  it('are 8 to 128 characters long', () => {
    assert.equal(newPasswordSchema.safeParse('short').success, false);
    assert.equal(newPasswordSchema.safeParse('password123').success, true);
    assert.equal(newPasswordSchema.safeParse('x'.repeat(129)).success, false);
  });
});
