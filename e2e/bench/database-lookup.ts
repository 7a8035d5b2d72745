// `node e2e/bench/database-lookup.ts`: the CPU one "find the owner's image" lookup costs the service, by
// the three ways it can be asked: Prisma's findFirst, Prisma's $queryRaw, and the prepared statement the
// read path uses ($queryPrepared). CPU time of this process, not wall time, so a busy machine changes
// little. A throwaway PostgreSQL (scripts/local-stack/testing.ts) holds one row; 8 lookups at a time.
import { randomUUID } from 'node:crypto';
import { createDatabase } from '@platform/database';
import { startTestDatabase } from '../../scripts/local-stack/testing.ts';
import { summarize } from './stats.ts';

const lookupsPerRound = 2_000;
const rounds = 5;
const concurrency = 8;

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
  await database.image.create({
    data: {
      id: randomUUID(),
      filename,
      ownerId,
      objectKey: `${ownerId}/${filename}`,
      contentType: 'image/png',
      sizeBytes: 7_800n,
      etag: '"etag"',
    },
  });
  const lookups: Record<string, () => Promise<unknown>> = {
    findFirst: () => database.image.findFirst({ where: { filename, ownerId } }),
    queryRaw: async () =>
      (
        await database.$queryRaw<unknown[]>`SELECT * FROM image.images WHERE filename = ${filename}
        AND owner_id = ${ownerId}::uuid`
      )[0],
    queryPrepared: async () =>
      (
        await database.$queryPrepared(
          { name: 'bench.findOwned', text: 'SELECT * FROM image.images WHERE filename = $1 AND owner_id = $2' },
          [filename, ownerId],
        )
      )[0],
  };

  const microseconds: Record<string, number[]> = {};
  // Interleaved rounds, so that a noisy moment is shared by all three.
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, lookup] of Object.entries(lookups)) {
      let left = lookupsPerRound;
      const before = process.cpuUsage();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (left > 0) {
            left -= 1;
            if ((await lookup()) === undefined) throw new Error(`${name} did not find the row`);
          }
        }),
      );
      const used = process.cpuUsage(before);
      (microseconds[name] ??= []).push((used.user + used.system) / lookupsPerRound);
    }
  }
  console.log(
    `CPU per lookup, µs (median and range of ${rounds} rounds of ${lookupsPerRound}, ${concurrency} at a time):`,
  );
  for (const [name, samples] of Object.entries(microseconds)) {
    const { median, min, max } = summarize(samples);
    console.log(`  ${name.padEnd(14)} ${median.toFixed(0).padStart(5)}  (${min.toFixed(0)}–${max.toFixed(0)})`);
  }
} finally {
  await database.$disconnect();
  await postgres.dispose();
}
