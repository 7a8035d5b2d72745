import { ApiClient, fixtureUpload } from '@platform/test-client';
import autocannon, { type Instance, type Options, type Result } from 'autocannon';

export type Scenario = 'journey' | 'reads';

interface Context {
  token?: string;
  filename?: string;
  /** The login body of the connection's own account. */
  credentials?: string;
}

/** Registers a user and stores one image, so every connection has something to read. */
async function prepare(api: string): Promise<{ username: string; password: string; token: string; filename: string }> {
  const client = new ApiClient({ baseUrl: api });
  const account = await client.newAccount('load');
  const { filename } = await client.upload(account.token);
  return { ...account, filename };
}

const bearer = (context: Context) => ({ authorization: `Bearer ${context.token ?? ''}` });

/**
 * The two traffic shapes: the user journey (login, upload, download it, list), and the
 * read-heavy mix (downloads and listings of an existing image).
 */
export async function runScenario(
  scenario: Scenario,
  options: {
    api: string;
    seconds: number;
    connections: number;
    overallRate?: number;
    onInstance?: (instance: Instance) => void;
  },
): Promise<Result> {
  const user = await prepare(options.api);
  // One account per connection, as users are: an account may run only a few uploads at once
  // (the image service's MAX_CONCURRENT_UPLOADS_PER_USER), and one shared by every connection would be refused 429.
  const accounts =
    scenario === 'journey'
      ? await Promise.all(Array.from({ length: options.connections }, () => prepare(options.api)))
      : [];
  let nextAccount = 0;
  const requests: Options['requests'] =
    scenario === 'journey'
      ? [
          {
            method: 'POST',
            path: '/login',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request, context: Context) => {
              const account = accounts[nextAccount++ % accounts.length] ?? user;
              context.credentials ??= JSON.stringify({ username: account.username, password: account.password });
              return { ...request, body: context.credentials };
            },
            onResponse: (_status, body, context: Context) => {
              context.token = (JSON.parse(body) as { token: string }).token;
            },
          },
          {
            method: 'POST',
            path: '/upload',
            body: fixtureUpload.body,
            setupRequest: (request, context: Context) => ({
              ...request,
              headers: { ...bearer(context), 'content-type': fixtureUpload.contentType },
            }),
            onResponse: (_status, body, context: Context) => {
              context.filename = (JSON.parse(body) as { filename: string }).filename;
            },
          },
          {
            method: 'GET',
            setupRequest: (request, context: Context) => ({
              ...request,
              path: `/images/${context.filename ?? ''}`,
              headers: bearer(context),
            }),
          },
          {
            method: 'GET',
            path: '/images?limit=10',
            setupRequest: (request, context: Context) => ({ ...request, headers: bearer(context) }),
          },
        ]
      : [
          { method: 'GET', path: `/images/${user.filename}`, headers: { authorization: `Bearer ${user.token}` } },
          { method: 'GET', path: `/images/${user.filename}`, headers: { authorization: `Bearer ${user.token}` } },
          { method: 'GET', path: `/images/${user.filename}`, headers: { authorization: `Bearer ${user.token}` } },
          { method: 'GET', path: '/images?limit=10', headers: { authorization: `Bearer ${user.token}` } },
        ];
  return new Promise((resolve, reject) => {
    const rate = options.overallRate === undefined ? {} : { overallRate: options.overallRate };
    const instance = autocannon(
      { url: options.api, connections: options.connections, duration: options.seconds, requests, ...rate },
      (error, result) => {
        if (error !== null && error !== undefined) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve(result);
      },
    );
    options.onInstance?.(instance);
  });
}

/** Errors as the availability SLO counts them: 5xx answers, plus connection errors and timeouts. */
export const errorRatio = (result: Result): number =>
  (result['5xx'] + result.errors + result.timeouts) / Math.max(1, result.requests.total);

/** The latency at the SLO's percentile (99 -> p99, 99.9 -> p99_9), in milliseconds. */
export const percentileMs = (result: Result, percentile: number): number =>
  (result.latency as unknown as Record<string, number>)[`p${String(percentile).replace('.', '_')}`] ?? Number.NaN;
