import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';
import { tcpOpen } from './probes.ts';
import type { Component } from './supervisor.ts';

export interface LocalRedis {
  component: Component;
  /** What auth connects to, password included; undefined when Redis does not run (auth then counts in memory). */
  url: string | undefined;
}

/**
 * Debian's redis-server for the auth service's login and registration counters: loopback only,
 * protected mode, a password made fresh on every start, no persistence. Where it is not installed
 * the stack runs without it, and auth says it counts in memory.
 */
export function localRedis({
  dir,
  port,
  skipped,
}: {
  dir: string;
  port: number;
  skipped: string | undefined;
}): LocalRedis {
  const password = randomBytes(24).toString('hex');
  return {
    url: skipped === undefined ? `redis://:${password}@127.0.0.1:${port}` : undefined,
    component: {
      name: 'redis',
      skipped,
      prepare: () => void mkdirSync(dir, { recursive: true }),
      configs: [
        {
          template: join(repoRoot, 'scripts/local-stack/config/redis.conf'),
          file: join(dir, 'redis.conf'),
          values: { port, password, dir },
        },
      ],
      process: { command: 'redis-server', args: [join(dir, 'redis.conf')] },
      ready: tcpOpen(port),
      stopGraceMs: 5_000,
    },
  };
}
