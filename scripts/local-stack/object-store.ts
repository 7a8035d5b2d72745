import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, createWriteStream, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import S3rver from 's3rver';
import { toolsBinDir } from './paths.ts';

export interface ObjectStoreOptions {
  dataDir: string;
  port: number;
  consolePort: number;
  logFile: string;
  /** Use the embedded server even if a minio binary is available. */
  forceEmbedded?: boolean;
}

export interface LocalObjectStore {
  kind: 'minio' | 's3rver';
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop: () => Promise<void>;
  /** Starts it again on the same data (fault drills). */
  start: () => Promise<void>;
}

/** The MinIO binary: on PATH, or built by scripts/tools/install.sh into the tools cache. */
export function findMinio(): string | undefined {
  const directories = [...(process.env['PATH'] ?? '').split(delimiter), toolsBinDir];
  for (const directory of directories) {
    const candidate = join(directory, 'minio');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Real S3 for local work: MinIO when its binary is available, otherwise s3rver, an S3 server in
 * Node (the services use WHEN_REQUIRED checksums, which s3rver stores correctly).
 */
export async function startObjectStore(options: ObjectStoreOptions): Promise<LocalObjectStore> {
  mkdirSync(options.dataDir, { recursive: true });
  const minio = options.forceEmbedded === true ? undefined : findMinio();
  return minio === undefined ? startS3rver(options) : startMinio(minio, options);
}

async function startMinio(binary: string, options: ObjectStoreOptions): Promise<LocalObjectStore> {
  // Fixed local-only credentials: this server listens on loopback and holds development data.
  const credentials = { accessKeyId: 'minio-local', secretAccessKey: 'minio-local-secret' };
  const endpoint = `http://127.0.0.1:${options.port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    const log = createWriteStream(options.logFile, { flags: 'a' });
    child = spawn(binary, ['server', options.dataDir, '--address', `127.0.0.1:${options.port}`, '--console-address', `127.0.0.1:${options.consolePort}`, '--quiet'], {
      env: { ...process.env, MINIO_ROOT_USER: credentials.accessKeyId, MINIO_ROOT_PASSWORD: credentials.secretAccessKey, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    await waitForMinio(endpoint, child, options.logFile);
  };
  await start();
  return {
    kind: 'minio',
    endpoint,
    ...credentials,
    start,
    stop: async () => {
      if (child === undefined || child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function waitForMinio(endpoint: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`minio exited with code ${child.exitCode} (see ${logFile})`);
    try {
      if ((await fetch(`${endpoint}/minio/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`minio did not become ready within 30 s (see ${logFile})`);
}

async function startS3rver(options: ObjectStoreOptions): Promise<LocalObjectStore> {
  let server: S3rver | undefined;
  const start = async () => {
    server = new S3rver({ address: '127.0.0.1', port: options.port, directory: options.dataDir, silent: true });
    await server.run();
  };
  await start();
  return {
    kind: 's3rver',
    endpoint: `http://127.0.0.1:${options.port}`,
    // s3rver's fixed credentials.
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    start,
    stop: async () => { await server?.close(); },
  };
}
