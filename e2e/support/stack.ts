import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '@platform/test-client';
import { httpOk } from '../../scripts/local-stack/probes.ts';
import type { StackDescription } from '../../scripts/local-stack/stack.ts';
import { startComponents, type Component } from '../../scripts/local-stack/supervisor.ts';
import { freePort } from '../../scripts/local-stack/testing.ts';

/** The running stack the suite was started against (see scripts/e2e.ts). */
export function runningStack(): StackDescription {
  const file = process.env['STACK_FILE'];
  if (file === undefined) throw new Error('STACK_FILE is not set: run the suite with `npm run test:e2e`');
  return JSON.parse(readFileSync(file, 'utf8')) as StackDescription;
}

/** The client for a test's own set-up (accounts, uploads): straight to the gateway of the running stack. */
export const apiClient = () => new ApiClient({ baseUrl: runningStack().services.api.url });

export interface OwnGateway {
  /** The api's address; its image service is the only upstream it sends images to. */
  apiUrl: string;
  /** Process ids of the pair's image service and api, to read their memory from /proc. */
  pids: { image: number; api: number };
  stop: () => Promise<void>;
}

/**
 * The running stack's own image service and api, started again on ports of their own with changed settings (a
 * smaller heap, a smaller quota...), sharing the stack's PostgreSQL, S3 and auth.
 */
export async function startOwnGateway(
  name: string,
  { nodeOptions = [], imageEnv = {} }: { nodeOptions?: string[]; imageEnv?: Record<string, string> },
): Promise<OwnGateway> {
  const stack = runningStack();
  const [imagePort, imageMetrics, apiPort, apiMetrics] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const service = (service: 'image' | 'api', port: number, env: Record<string, string>): Component => ({
    name: `${name}-${service}`,
    process: { command: process.execPath, args: [...nodeOptions, `services/${service}/src/main.ts`], env: () => env },
    ready: httpOk(`http://127.0.0.1:${port}/readyz`),
  });
  const services = await startComponents(
    [
      service('image', imagePort, {
        ...stack.services.image.env,
        PORT: String(imagePort),
        METRICS_PORT: String(imageMetrics),
        ...imageEnv,
      }),
      service('api', apiPort, {
        ...stack.services.api.env,
        PORT: String(apiPort),
        METRICS_PORT: String(apiMetrics),
        IMAGE_URL: `http://127.0.0.1:${imagePort}`,
      }),
    ],
    {
      logsDir: join(stack.stateDir, 'logs'),
      pidsDir: join(stack.stateDir, `${name}-pids`),
      onProgress: () => undefined,
    },
  );
  return {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    pids: { image: services.pid(`${name}-image`) ?? 0, api: services.pid(`${name}-api`) ?? 0 },
    stop: () => services.stop(),
  };
}
