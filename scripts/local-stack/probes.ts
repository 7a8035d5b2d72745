// Readiness probes of the local stack's components: each answers true once its component serves.
import { connect } from 'node:net';
import pg from 'pg';

/** The URL answers 2xx. */
export const httpOk = (url: string) => async (): Promise<boolean> => {
  const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  await response.body?.cancel();
  return response.ok;
};

/** Something accepts TCP connections on the loopback port. */
export const tcpOpen = (port: number) => (): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => {
      resolve(false);
    });
  });

/** PostgreSQL at the URL answers a query. */
export const postgresAnswers = (url: string) => async (): Promise<boolean> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
};
