import { readFileSync } from 'node:fs';
import { ApiClient } from '@platform/test-client';
import type { StackDescription } from '../../scripts/local-stack/stack.ts';

/** The running stack the suite was started against (see scripts/e2e.ts). */
export function runningStack(): StackDescription {
  const file = process.env['STACK_FILE'];
  if (file === undefined) throw new Error('STACK_FILE is not set: run the suite with `npm run test:e2e`');
  return JSON.parse(readFileSync(file, 'utf8')) as StackDescription;
}

/** The client for a test's own set-up (accounts, uploads): straight to the gateway of the running stack. */
export const apiClient = () => new ApiClient({ baseUrl: runningStack().services.api.url });
