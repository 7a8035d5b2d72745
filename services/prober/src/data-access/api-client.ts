import { readFileSync } from 'node:fs';
import { Agent, buildConnector, fetch, FormData, type Response } from 'undici';
import type { Credentials, PlatformClient } from '../domain/platform-client.ts';

export interface ApiClientOptions {
  /** The edge: https://<ingress>, as users reach it. */
  baseUrl: string;
  /** PEM file of the CA to trust for it; unset: the system's CAs. */
  caFile?: string | undefined;
  /** host:port to dial instead of the base URL's host, which stays the TLS server name and Host. */
  connectTo?: string | undefined;
}

/** An answer the journey did not expect, with what the server said (a problem's title or detail). */
export class UnexpectedAnswer extends Error {
  override name = 'UnexpectedAnswer';
}

/**
 * The platform's public API over HTTPS, as any client reaches it: TLS to the edge (HTTP/2 offered),
 * the local CA trusted when given. No retries: the prober reports what a user would have seen.
 *
 * After a call that failed (no answer, or an upload refused), it opens new connections for the next: an
 * upload answered or reset before its body was all sent leaves Node's HTTP/2 session holding the unsent
 * bytes against its memory limit (10 MB), and once a large one has, the session refuses every later stream
 * with ENHANCE_YOUR_CALM: one refused 8 MiB upload failed every journey after it (e2e/faults/prober.spec.ts).
 */
export function createApiClient({
  baseUrl,
  caFile,
  connectTo,
}: ApiClientOptions): PlatformClient & { close: () => Promise<void> } {
  const connector = buildConnector({ allowH2: true, ...(caFile === undefined ? {} : { ca: readFileSync(caFile) }) });
  const [dialHost, dialPort] = connectTo?.split(':') ?? [];
  const connections = () =>
    new Agent({
      allowH2: true,
      connect:
        dialHost === undefined
          ? connector
          : (options, callback) => {
              connector(
                { ...options, hostname: dialHost, port: dialPort ?? options.port, servername: options.hostname },
                callback,
              );
            },
    });
  let dispatcher = connections();
  /** Drops the connections (the prober makes one call at a time: none is in flight); the next call opens new ones. */
  const reconnect = () => {
    const broken = dispatcher;
    dispatcher = connections();
    void broken.destroy();
  };
  const call = async (
    path: string,
    init: { method: string; token?: string; body?: string | FormData; signal: AbortSignal },
  ) => {
    try {
      return await fetch(`${baseUrl}${path}`, {
        method: init.method,
        dispatcher,
        signal: init.signal,
        headers: {
          ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
          ...(typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}),
        },
        ...(init.body === undefined ? {} : { body: init.body }),
      });
    } catch (error) {
      reconnect();
      throw error;
    }
  };
  const json = (account: Credentials) => JSON.stringify({ username: account.username, password: account.password });
  const imagePath = (filename: string) => `/images/${encodeURIComponent(filename)}`;

  return {
    login: async (account, signal) => {
      const response = await call('/login', { method: 'POST', body: json(account), signal });
      if (response.status === 401) {
        await response.body?.cancel();
        return undefined;
      }
      const { token } = (await expect(response, 200, 'login')) as { token: string };
      return token;
    },
    register: async (account, signal) => {
      const response = await call('/register', { method: 'POST', body: json(account), signal });
      if (response.status === 409) {
        await response.body?.cancel();
        return;
      }
      await expect(response, 201, 'register');
    },
    upload: async (token, png, signal) => {
      const form = new FormData();
      form.append('file', png, 'journey-probe.png');
      const response = await call('/upload', { method: 'POST', token, body: form, signal });
      try {
        const { filename } = (await expect(response, 201, 'upload')) as { filename: string };
        return filename;
      } finally {
        if (response.status !== 201) reconnect();
      }
    },
    download: async (token, filename, signal) => {
      const response = await call(imagePath(filename), { method: 'GET', token, signal });
      if (response.status !== 200) await expect(response, 200, 'download');
      return Buffer.from(await response.arrayBuffer());
    },
    remove: async (token, filename, signal) => {
      const response = await call(imagePath(filename), { method: 'DELETE', token, signal });
      if (response.status === 404) {
        await response.body?.cancel();
        return false;
      }
      if (response.status !== 204) await expect(response, 204, 'delete');
      else await response.body?.cancel();
      return true;
    },
    list: async (token, signal) => {
      const response = await call('/images?limit=100', { method: 'GET', token, signal });
      const { images } = (await expect(response, 200, 'list')) as { images: Array<{ filename: string }> };
      return images.map(({ filename }) => filename);
    },
    close: () => dispatcher.close(),
  };
}

/** The JSON body of an answer with the expected status; anything else throws UnexpectedAnswer. */
async function expect(response: Response, status: number, what: string): Promise<unknown> {
  if (response.status === status) return response.status === 204 ? undefined : response.json();
  const text = await response.text().catch(() => '');
  let said = text.slice(0, 200);
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string };
    said = problem.detail ?? problem.title ?? said;
  } catch {
    // not JSON: keep the start of the text
  }
  throw new UnexpectedAnswer(`${what}: ${String(response.status)} (expected ${String(status)}): ${said}`);
}
