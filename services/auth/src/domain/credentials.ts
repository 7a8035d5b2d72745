import { z } from 'zod';

/**
 * Usernames are compared in a normalised form: Unicode NFKC (so full-width and compatibility
 * characters fold to ASCII) and lower case, then restricted to a plain ASCII alphabet. Look-alike
 * names therefore either collide with an existing one or are refused.
 */
export const normaliseUsername = (raw: string): string => raw.normalize('NFKC').toLowerCase();

export const usernameRules = { minLength: 3, maxLength: 32, pattern: /^[a-z0-9][a-z0-9._-]*$/ };
export const passwordRules = { minLength: 8, maxLength: 128 };

export const usernameSchema = z
  .string()
  .max(256, 'must be at most 32 characters')
  .transform(normaliseUsername)
  .pipe(
    z
      .string()
      .min(usernameRules.minLength, `must be at least ${usernameRules.minLength} characters`)
      .max(usernameRules.maxLength, `must be at most ${usernameRules.maxLength} characters`)
      .regex(
        usernameRules.pattern,
        'may contain only letters, digits, ".", "_" and "-", and must start with a letter or digit',
      ),
  );

/** A new password: long enough, bounded (argon2 input), and not one of the given common passwords. */
export const newPasswordSchema = (commonPasswords: ReadonlySet<string>) =>
  z
    .string()
    .min(passwordRules.minLength, `must be at least ${passwordRules.minLength} characters`)
    .max(passwordRules.maxLength, `must be at most ${passwordRules.maxLength} characters`)
    .refine(
      (password) => !commonPasswords.has(password.toLowerCase()),
      'is one of the most commonly used passwords: choose another',
    );
