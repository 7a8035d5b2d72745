import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { configFields, inSpan, platformMetrics, secondsSince, serviceUnavailable, SpanKind } from '@platform/runtime';
import { z } from 'zod';
import { Prisma, PrismaClient } from './generated/client.ts';
import { isDatabaseUnavailable } from './unavailability.ts';

export { Prisma } from './generated/client.ts';
export { isDatabaseUnavailable } from './unavailability.ts';
export type { Image, User } from './generated/client.ts';

/** Configuration of a service that uses PostgreSQL. */
export const databaseConfigSchema = z.object({
  DATABASE_URL: configFields.postgresUrl(),
  /** Connections in this process's pool. */
  DATABASE_POOL_SIZE: configFields.positiveInt(10),
  /** How long to wait for a connection before failing the query (no hanging when PostgreSQL is gone). */
  DATABASE_CONNECT_TIMEOUT_MS: configFields.milliseconds(2_000),
  /** Server-side limit for any one statement. */
  DATABASE_STATEMENT_TIMEOUT_MS: configFields.milliseconds(5_000),
});

type DatabaseConfig = z.infer<typeof databaseConfigSchema>;

/** A statement a hot path runs as a named prepared statement: PostgreSQL parses it once per connection. */
export interface PreparedStatement {
  /** Unique per statement text: node-postgres prepares a name once per connection. */
  name: string;
  text: string;
}

/**
 * A Prisma client over node-postgres with every wait bounded and every operation traced and timed
 * (db.client.operation.duration). Any query that fails because
 * PostgreSQL is unreachable or too slow rejects with a 503 AppError, so services answer
 * "unavailable, retry" instead of a 500, and recover as soon as the database is back (the pool
 * reconnects on the next query).
 *
 * `$queryPrepared` runs a prepared statement on the same pool, past Prisma's query compiler, for the
 * paths where it dominates: about a tenth of the CPU of `findFirst` and a fifth of `$queryRaw` for one
 * indexed row (`node e2e/bench/read-path.ts`). Its rows are node-postgres's: int8 arrives as a string.
 */
export function createDatabase(config: DatabaseConfig) {
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.DATABASE_POOL_SIZE,
    connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS,
    statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
    query_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS + 1_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that PostgreSQL drops (a restart) fails no query: the pool discards it and the
  // next query connects afresh. Without a listener the pool's 'error' event would end the process.
  pool.on('error', () => undefined);
  const { dbClientDuration } = platformMetrics();
  const instrumented = <T>(client: 'prisma' | 'pg', operation: string, run: () => Promise<T>): Promise<T> => {
    const attributes = { 'db.system.name': 'postgresql', 'db.operation.name': operation };
    return inSpan('database', `${client} ${operation}`, SpanKind.CLIENT, attributes, async () => {
      const start = performance.now();
      try {
        const result = await run();
        dbClientDuration.record(secondsSince(start), { ...attributes, outcome: 'success' });
        return result;
      } catch (error) {
        const unavailable = isDatabaseUnavailable(error);
        dbClientDuration.record(secondsSince(start), { ...attributes, outcome: unavailable ? 'unavailable' : 'error' });
        throw unavailable ? serviceUnavailable('The database is unavailable.', error) : error;
      }
    });
  };
  return new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) }).$extends({
    query: {
      $allOperations: ({ model, operation, args, query }) =>
        instrumented('prisma', `${model ?? 'raw'}.${operation}`, () => query(args) as Promise<unknown>),
    },
    client: {
      $queryPrepared: <Row extends pg.QueryResultRow>(statement: PreparedStatement, values: unknown[]) =>
        instrumented(
          'pg',
          `prepared.${statement.name}`,
          async () => (await pool.query<Row>({ ...statement, values })).rows,
        ),
    },
  });
}

export type Database = ReturnType<typeof createDatabase>;

/** A unique constraint rejected the write. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

/** Readiness check: one round trip to PostgreSQL. */
export async function pingDatabase(database: Database): Promise<void> {
  await database.$queryRaw`SELECT 1`;
}
