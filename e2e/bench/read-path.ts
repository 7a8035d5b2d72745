// `node e2e/bench/read-path.ts`: the CPU the image service spends on the steps of every download,
// each by the ways it can be made, side by side on throwaway real servers (scripts/local-stack/testing.ts):
//   - finding the owner's row: Prisma's findFirst, Prisma's $queryRaw, a prepared statement ($queryPrepared);
//   - fetching a small object: the AWS SDK's GetObject, the object reader (a signed GET on undici);
//   - sending the body on, as the image service and the api both do: stream.pipeline, streamBody (with
//     the client's CPU, the same for both, included).
// CPU time of this process, not wall time, so a busy machine changes the figures little. 8 calls at a time.
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createDatabase } from '@platform/database';
import { streamBody } from '@platform/runtime';
import { Pool } from 'undici';
import { startTestDatabase, startTestObjectStore } from '../../scripts/local-stack/testing.ts';
import { createObjectReader } from '../../services/image/src/data-access/object-reader.ts';
import { summarize } from './stats.ts';

const callsPerRound = 2_000;
const rounds = 5;
const concurrency = 8;
const objectBytes = 7_800; // the e2e fixture's size

type Calls = Record<string, () => Promise<unknown>>;

/** CPU µs per call of each way, over interleaved rounds so that a noisy moment is shared by all. */
async function cpuPerCall(calls: Calls): Promise<Record<string, number[]>> {
  const microseconds: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, call] of Object.entries(calls)) {
      let left = callsPerRound;
      const before = process.cpuUsage();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (left > 0) {
            left -= 1;
            if ((await call()) === undefined) throw new Error(`${name} found nothing`);
          }
        }),
      );
      const used = process.cpuUsage(before);
      (microseconds[name] ??= []).push((used.user + used.system) / callsPerRound);
    }
  }
  return microseconds;
}

function print(title: string, microseconds: Record<string, number[]>): void {
  console.log(`${title}: CPU µs per call, median (range) of ${rounds} rounds of ${callsPerRound}`);
  for (const [name, samples] of Object.entries(microseconds)) {
    const { median, min, max } = summarize(samples);
    console.log(`  ${name.padEnd(14)} ${median.toFixed(0).padStart(5)}  (${min.toFixed(0)}–${max.toFixed(0)})`);
  }
}

async function rowLookups(): Promise<void> {
  const postgres = await startTestDatabase();
  const database = createDatabase({
    DATABASE_URL: postgres.url,
    DATABASE_POOL_SIZE: concurrency,
    DATABASE_CONNECT_TIMEOUT_MS: 2_000,
    DATABASE_STATEMENT_TIMEOUT_MS: 5_000,
  });
  try {
    const ownerId = randomUUID();
    const filename = `${randomUUID()}.png`;
    const row = { ownerId, objectKey: `${ownerId}/${filename}`, contentType: 'image/png', etag: '"etag"' };
    await database.image.create({ data: { id: randomUUID(), filename, sizeBytes: BigInt(objectBytes), ...row } });
    const statement = {
      name: 'bench.findOwned',
      text: 'SELECT * FROM image.images WHERE filename = $1 AND owner_id = $2',
    };
    print(
      'finding the row',
      await cpuPerCall({
        findFirst: () => database.image.findFirst({ where: { filename, ownerId } }),
        queryRaw: async () =>
          (
            await database.$queryRaw<unknown[]>`SELECT * FROM image.images WHERE filename = ${filename}
            AND owner_id = ${ownerId}::uuid`
          )[0],
        queryPrepared: async () => (await database.$queryPrepared(statement, [filename, ownerId]))[0],
      }),
    );
  } finally {
    await database.$disconnect();
    await postgres.dispose();
  }
}

async function objectGets(): Promise<void> {
  const store = await startTestObjectStore('minio');
  const credentials = { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey };
  const [Bucket, Key] = ['bench', 'owner/image.png'];
  const sdk = new S3Client({
    endpoint: store.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const reader = createObjectReader({
    endpoint: store.endpoint,
    region: 'us-east-1',
    bucket: Bucket,
    forcePathStyle: true,
    credentials,
    connectTimeoutMs: 2_000,
    socketTimeoutMs: 30_000,
    maxAttempts: 3,
  });
  const bytes = async (body: AsyncIterable<Buffer>) => {
    let length = 0;
    for await (const chunk of body) length += chunk.length;
    return length === objectBytes ? length : undefined;
  };
  try {
    await sdk.send(new CreateBucketCommand({ Bucket }));
    await sdk.send(new PutObjectCommand({ Bucket, Key, Body: Buffer.alloc(objectBytes, 7) }));
    print(
      'fetching the object',
      await cpuPerCall({
        sdkGetObject: async () =>
          bytes((await sdk.send(new GetObjectCommand({ Bucket, Key }))).Body as AsyncIterable<Buffer>),
        objectReader: async () => bytes((await reader.get(Key)) as AsyncIterable<Buffer>),
      }),
    );
  } finally {
    sdk.destroy();
    await reader.close();
    await store.dispose();
  }
}

async function bodySends(): Promise<void> {
  const payload = Buffer.alloc(objectBytes, 7);
  const ways: Record<string, (body: Readable, response: ServerResponse) => Promise<void>> = { pipeline, streamBody };
  const server = createServer((request, response) => {
    const send = ways[request.url?.slice(1) ?? ''];
    if (send === undefined) response.writeHead(404).end();
    else void send(Readable.from([payload]), response).catch(() => undefined);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const pool = new Pool(`http://127.0.0.1:${String((server.address() as AddressInfo).port)}`, {
    connections: concurrency,
  });
  const fetched = async (path: string) => {
    const { statusCode, body } = await pool.request({ method: 'GET', path });
    const length = (await body.arrayBuffer()).byteLength;
    return statusCode === 200 && length === objectBytes ? length : undefined;
  };
  try {
    print(
      'sending the body',
      await cpuPerCall(Object.fromEntries(Object.keys(ways).map((way) => [way, () => fetched(`/${way}`)]))),
    );
  } finally {
    await pool.close();
    server.close();
  }
}

await rowLookups();
await objectGets();
await bodySends();
