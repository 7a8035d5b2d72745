// Real S3 for local work, as a component of the local stack: MinIO when its binary is available (built
// by scripts/tools/install.sh), otherwise s3rver, an S3 server in Node (the services use WHEN_REQUIRED
// checksums, which s3rver stores correctly).
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import S3rver from 's3rver';
import { toolsBinDir } from './paths.ts';
import { httpOk } from './probes.ts';
import type { Component } from './supervisor.ts';

export interface ObjectStoreOptions {
  dataDir: string;
  port: number;
  consolePort: number;
  /** Use the embedded server even if a minio binary is available. */
  forceEmbedded: boolean;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface ObjectStore extends Credentials {
  kind: 'minio' | 's3rver';
  endpoint: string;
  /**
   * The image service's: with MinIO, a user limited to its bucket, which the s3-access step creates with the root
   * credentials above (object-store-access.ts); s3rver has no users, so there they are its fixed ones.
   */
  imageService: Credentials;
  component: Component;
}

export function objectStore(options: ObjectStoreOptions): ObjectStore {
  const minio = options.forceEmbedded ? undefined : findTool('minio');
  const endpoint = `http://127.0.0.1:${options.port}`;
  const prepare = () => {
    mkdirSync(options.dataDir, { recursive: true });
  };
  if (minio === undefined) {
    let server: S3rver | undefined;
    // s3rver's fixed credentials.
    const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    return {
      kind: 's3rver',
      endpoint,
      ...credentials,
      imageService: credentials,
      component: {
        name: 's3',
        prepare,
        inProcess: {
          start: async () => {
            server = new S3rver({ address: '127.0.0.1', port: options.port, directory: options.dataDir, silent: true });
            await server.run();
          },
          stop: async () => {
            await server?.close();
          },
        },
      },
    };
  }
  // Fixed local-only credentials (root and the image service's): this server listens on loopback and holds
  // development data.
  const credentials = { accessKeyId: 'minio-local', secretAccessKey: 'minio-local-secret' };
  return {
    kind: 'minio',
    endpoint,
    ...credentials,
    imageService: { accessKeyId: 'image-service', secretAccessKey: 'image-service-local-secret' },
    component: {
      name: 's3',
      prepare,
      process: {
        command: minio,
        args: [
          'server',
          options.dataDir,
          '--address',
          `127.0.0.1:${options.port}`,
          '--console-address',
          `127.0.0.1:${options.consolePort}`,
          '--quiet',
        ],
        env: () => ({
          MINIO_ROOT_USER: credentials.accessKeyId,
          MINIO_ROOT_PASSWORD: credentials.secretAccessKey,
          MINIO_BROWSER: 'off',
          MINIO_UPDATE: 'off',
        }),
      },
      ready: httpOk(`${endpoint}/minio/health/ready`),
      readyTimeoutMs: 30_000,
    },
  };
}

/**
 * A command of the tools cache (scripts/tools/install.sh), else on PATH. The cache first: on PATH, `mc` may well be
 * Debian's Midnight Commander rather than MinIO's client.
 */
export function findTool(name: string): string | undefined {
  for (const directory of [toolsBinDir, ...(process.env['PATH'] ?? '').split(delimiter)]) {
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
