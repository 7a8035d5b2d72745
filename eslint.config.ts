import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      '**/node_modules/',
      'packages/database/src/generated/',
      '.dev/',
      'services/*/dist/',
      'e2e/test-results/',
      'e2e/playwright-report/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Command-line tools and tests talk to a terminal.
    files: ['scripts/**', 'e2e/**', '**/test/**', 'slo/dashboards/generate.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // node:test's describe() and it() return promises the runner itself awaits.
    files: ['**/test/**'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
);
