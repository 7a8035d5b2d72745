// The outages the SLO suites inject into a running stack: each starts one and resolves with what ends it.
import type { RunningStack, ServiceName } from '../../scripts/local-stack/stack.ts';

export type Outage = (stack: RunningStack) => Promise<() => Promise<unknown>>;

const serviceDown =
  (name: ServiceName): Outage =>
  async (stack) => (await stack.stopService(name), () => stack.startService(name));

export const outages = {
  s3: async ({ objectStore }) => (await objectStore.stop(), () => objectStore.start()),
  postgres: async ({ postgres }) => {
    if (postgres === undefined) throw new Error('the stack runs no PostgreSQL of its own (DATABASE_URL is set)');
    await postgres.stop();
    return () => postgres.start();
  },
  auth: serviceDown('auth'),
  image: serviceDown('image'),
  api: serviceDown('api'),
} satisfies Record<string, Outage>;
