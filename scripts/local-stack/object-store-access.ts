// The image service's own MinIO user, as a step of the local stack after MinIO starts: the same script and policy
// the minio chart's hook Job runs in Kubernetes (helm/charts/minio/files), so both grant exactly the same. It
// creates the images bucket and the user with the root credentials, which stay with this step; the image service
// gets only its user's (service-environments.ts). s3rver has no users or policies: there the step is skipped and the
// image service keeps s3rver's fixed credentials and creates its bucket itself, as before.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { findTool, type ObjectStore } from './object-store.ts';
import { repoRoot } from './paths.ts';
import type { Component } from './supervisor.ts';

const chartFiles = join(repoRoot, 'helm/charts/minio/files');
export const provisionScript = join(chartFiles, 'provision-image-service.sh');
export const imageServicePolicyFile = join(chartFiles, 'image-service-policy.json');

/** Creates `bucket` and the image service's user and policy on a MinIO (idempotent). Returns what the script said. */
export async function provisionImageServiceAccess(
  store: Pick<ObjectStore, 'endpoint' | 'accessKeyId' | 'secretAccessKey' | 'imageService'>,
  bucket: string,
  configDir: string,
): Promise<string> {
  const mc = findTool('mc');
  if (mc === undefined)
    throw new Error(
      "MinIO's client mc is not installed: bash scripts/tools/install.sh mc (or --embedded-s3 for s3rver)",
    );
  mkdirSync(configDir, { recursive: true });
  const { stdout } = await promisify(execFile)('sh', [provisionScript], {
    env: {
      // The mc found first, whatever else PATH holds.
      PATH: `${dirname(mc)}:${process.env['PATH'] ?? ''}`,
      MC_CONFIG_DIR: configDir,
      MINIO_URL: store.endpoint,
      MINIO_ROOT_USER: store.accessKeyId,
      MINIO_ROOT_PASSWORD: store.secretAccessKey,
      BUCKET: bucket,
      POLICY_FILE: imageServicePolicyFile,
      SERVICE_ACCESS_KEY: store.imageService.accessKeyId,
      SERVICE_SECRET_KEY: store.imageService.secretAccessKey,
    },
    timeout: 60_000,
  });
  return stdout.trim();
}

/** The local stack's step: the image service needs it, so it starts with a bucket and a user that exist. */
export function objectStoreAccess(
  store: ObjectStore,
  options: { bucket: string; configDir: string; onProgress: (message: string) => void },
): Component {
  return {
    name: 's3-access',
    needs: ['s3'],
    skipped:
      store.kind === 's3rver'
        ? "s3rver has no users: the image service uses s3rver's fixed credentials and creates its bucket"
        : undefined,
    run: async () => {
      options.onProgress(await provisionImageServiceAccess(store, options.bucket, options.configDir));
    },
  };
}
