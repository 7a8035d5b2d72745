import { readFileSync } from 'node:fs';

const listFile = new URL('./common-passwords.txt', import.meta.url);

/** The most common passwords allowed by the rules, most common first (see the file's header). */
export const commonPasswordsAvailable = 10_000;

/**
 * The `count` most common passwords, lower-cased, for refusing them at registration. Compared
 * case-insensitively: "Password1" is no better than "password1".
 */
export function loadCommonPasswords(count: number): ReadonlySet<string> {
  const passwords = readFileSync(listFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
  return new Set(passwords.slice(0, count));
}
