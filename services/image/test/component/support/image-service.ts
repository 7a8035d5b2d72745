import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startService } from '@platform/runtime';
import { freePort } from '../../../../../scripts/local-stack/testing.ts';
import { createTokenIssuer } from '../../../../auth/src/domain/token-issuer.ts';
import { loadImageConfig } from '../../../src/config.ts';
import { createImageService } from '../../../src/service.ts';
import { InMemoryStores } from './in-memory-stores.ts';

export interface ImageServiceUnderTest {
  url: string;
  metricsUrl: string;
  stores: InMemoryStores;
  /** A real token for a new user, signed by a real auth key and checked against its key set. */
  newUser: () => Promise<{ id: string; authorization: string }>;
  stop: () => Promise<void>;
}

/**
 * The real image service (its express app, domain and configuration) in this process on an
 * ephemeral port, with its stores in memory and its key set served from a local auth key.
 */
export async function startImageService(env: Record<string, string> = {}): Promise<ImageServiceUnderTest> {
  const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const issuer = await createTokenIssuer({
    signingKeyPem: signingKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    issuer: 'platform-auth',
    audience: 'platform',
    ttlSeconds: 300,
  });
  const keySet = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json').end(JSON.stringify(issuer.keySet));
  });
  keySet.listen(0, '127.0.0.1');
  await once(keySet, 'listening');
  const metricsPort = await freePort();
  const stores = new InMemoryStores();
  const config = loadImageConfig({
    PORT: '0',
    METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'silent',
    // Stopping waits out its grace period's timer even when nothing is left to drain.
    SHUTDOWN_GRACE_MS: '1000',
    JWKS_URL: `http://127.0.0.1:${(keySet.address() as AddressInfo).port}/.well-known/jwks.json`,
    // Required by the configuration; never connected, since the stores are in memory.
    DATABASE_URL: 'postgresql://unused:unused@127.0.0.1:9/unused',
    S3_ACCESS_KEY_ID: 'unused',
    S3_SECRET_ACCESS_KEY: 'unused',
    ...env,
  });
  const service = await startService(await createImageService(config, () => stores));
  return {
    url: service.url,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    stores,
    newUser: async () => {
      const id = randomUUID();
      const { token } = await issuer.issue({ id, username: `user-${id.slice(0, 8)}` });
      return { id, authorization: `Bearer ${token}` };
    },
    stop: async () => {
      await service.stop();
      keySet.close();
    },
  };
}
