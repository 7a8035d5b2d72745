import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commonPasswordsAvailable, loadCommonPasswords } from '../../src/domain/common-passwords.ts';
import { newPasswordSchema, passwordRules, usernameSchema } from '../../src/domain/credentials.ts';

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
    const schema = newPasswordSchema(new Set());
    assert.equal(schema.safeParse('short').success, false);
    assert.equal(schema.safeParse('password123').success, true);
    assert.equal(schema.safeParse('x'.repeat(129)).success, false);
  });

  it('are refused when among the most common, whatever their case', () => {
    const schema = newPasswordSchema(loadCommonPasswords(100));
    for (const common of ['password', 'PASSWORD', '12345678', 'iloveyou', 'Sunshine'])
      assert.equal(schema.safeParse(common).success, false, common);
    assert.equal(schema.safeParse('correct horse battery staple').success, true);
  });

  it('are checked against a list ranked by frequency, so a larger count refuses more', () => {
    // The seed's password ranks 225th among passwords of 8 characters or more.
    assert.equal(newPasswordSchema(loadCommonPasswords(100)).safeParse('password123').success, true);
    assert.equal(newPasswordSchema(loadCommonPasswords(1_000)).safeParse('password123').success, false);
  });
});

describe('the common password list', () => {
  it('holds the advertised number of distinct lower-case passwords that meet the length rules', () => {
    const all = loadCommonPasswords(commonPasswordsAvailable + 1);
    assert.equal(all.size, commonPasswordsAvailable);
    for (const password of all) {
      assert.equal(password, password.toLowerCase());
      assert.ok(password.length >= passwordRules.minLength && password.length <= passwordRules.maxLength, password);
    }
  });
});
