import pg from 'pg';
import { Prisma } from './generated/client.ts';

/** Prisma error codes that mean PostgreSQL could not be reached or did not answer in time. */
const unavailableCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

/** Driver-adapter error kinds with the same meaning. */
const unavailableKinds = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TlsConnectionError',
  'AuthenticationFailed',
]);

/**
 * PostgreSQL SQLSTATEs for a server that is going away, overloaded, or cancelled the statement
 * (statement_timeout): class 08 connection exceptions, 53 insufficient resources, 57 operator
 * intervention.
 */
const unavailableSqlState = /^(08|53|57)/;

/**
 * node-postgres's messages for a connection that is gone: refused, timed out, ended under a query, a
 * pooled client whose connection failed (PostgreSQL restarted) asked for one more query, or no answer
 * within query_timeout.
 */
const pgConnectionFailure =
  /^(Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Query read timeout)/i;

interface AdapterErrorCause {
  kind?: unknown;
  code?: unknown;
}

/** True when an error means "the database is not available right now", as opposed to a bug. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (unavailableCodes.has(error.code)) return true;
    return isUnavailableCause((error.meta?.['driverAdapterError'] as { cause?: AdapterErrorCause } | undefined)?.cause);
  }
  if (error instanceof Error && error.name === 'DriverAdapterError') {
    return isUnavailableCause((error as Error & { cause?: AdapterErrorCause }).cause);
  }
  if (error instanceof Prisma.PrismaClientUnknownRequestError) {
    return /connection|timeout|terminat/i.test(error.message);
  }
  // node-postgres's own errors reach callers unwrapped from inside an interactive transaction and from
  // prepared statements: PostgreSQL's answers, then the driver's.
  if (error instanceof pg.DatabaseError) return unavailableSqlState.test(error.code ?? '');
  if (error instanceof Error && error.constructor === Error) return pgConnectionFailure.test(error.message);
  return false;
}

function isUnavailableCause(cause: AdapterErrorCause | undefined): boolean {
  if (cause === undefined) return false;
  if (typeof cause.kind === 'string' && unavailableKinds.has(cause.kind)) return true;
  return cause.kind === 'postgres' && typeof cause.code === 'string' && unavailableSqlState.test(cause.code);
}
