import type { Readable } from 'node:stream';
import { KeyedSha256 } from './keyed-sha256.ts';
import { SignatureV4 } from '@smithy/signature-v4';
import pRetry from 'p-retry';
import { Pool } from 'undici';
import { isStoreUnavailable, ObjectStoreResponseError } from './store-unavailability.ts';

/**
 * GetObject without the AWS SDK: a SigV4-signed GET on a keep-alive undici pool. Every download
 * makes one, and the SDK's middleware stack cost four times the CPU of the request itself (about
 * 430 µs against 110 µs for a small object: `node e2e/bench/read-path.ts`). Everything else (uploads,
 * deletes, the bucket) stays with the SDK, where its features earn their cost.
 */
export interface ObjectReader {
  /** The object's bytes; rejects with the store's error, or a network or timeout error. */
  get: (key: string) => Promise<Readable>;
  close: () => Promise<void>;
}

export interface ObjectReaderOptions {
  /** Unset: AWS S3 in `region`. */
  endpoint: string | undefined;
  region: string;
  bucket: string;
  /** Bucket in the path (MinIO), not in the host name. */
  forcePathStyle: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string };
  connectTimeoutMs: number;
  /** Longest silence while waiting for the answer or for the next bytes of the body. */
  socketTimeoutMs: number;
  /** Tries in all, as the SDK's maxAttempts: a failed connection or a 5xx is tried again. */
  maxAttempts: number;
}

export function createObjectReader(options: ObjectReaderOptions): ObjectReader {
  const endpoint = new URL(options.endpoint ?? `https://s3.${options.region}.amazonaws.com`);
  const host = options.forcePathStyle ? endpoint.host : `${options.bucket}.${endpoint.host}`;
  const basePath = endpoint.pathname.replace(/\/$/, '') + (options.forcePathStyle ? `/${options.bucket}` : '');
  const pool = new Pool(`${endpoint.protocol}//${host}`, {
    connections: 256,
    connectTimeout: options.connectTimeoutMs,
    headersTimeout: options.socketTimeoutMs,
    bodyTimeout: options.socketTimeoutMs,
  });
  const signer = new SignatureV4({
    service: 's3',
    region: options.region,
    credentials: options.credentials,
    sha256: KeyedSha256,
    // S3 signs the path as sent, escaped once (encodeKey).
    uriEscapePath: false,
    applyChecksum: false,
  });

  const getOnce = async (key: string): Promise<Readable> => {
    const path = `${basePath}/${encodeKey(key)}`;
    const { headers } = await signer.sign({
      method: 'GET',
      protocol: endpoint.protocol,
      hostname: host,
      path,
      query: {},
      headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const response = await pool.request({ method: 'GET', path, headers });
    if (response.statusCode === 200) return response.body;
    const error = await response.body.text();
    throw new ObjectStoreResponseError(response.statusCode, /<Code>([^<]+)<\/Code>/.exec(error)?.[1], key);
  };

  return {
    get: (key) =>
      pRetry(() => getOnce(key), {
        retries: options.maxAttempts - 1,
        minTimeout: 25,
        maxTimeout: 250,
        randomize: true,
        shouldRetry: ({ error }) => isStoreUnavailable(error),
      }),
    close: () => pool.close(),
  };
}

/** A key as S3 expects it in a path: each segment escaped as RFC 3986 says, which encodeURIComponent nearly does. */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}
