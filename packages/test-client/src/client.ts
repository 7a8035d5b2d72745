// The API as its users see it, over fetch: straight to the gateway, or through the TLS ingress with
// the local CA. The typed calls check the status and throw UnexpectedStatus with the problem body;
// `send` answers whatever the server said, for tests that assert on failures.
import { Agent, fetch, type Dispatcher, type RequestInit, type Response } from 'undici';
import { newCredentials, type Credentials } from './fixtures.ts';
import { fixtureUpload, type MultipartBody } from './multipart.ts';
import { UnexpectedStatus } from './unexpected-status.ts';

export interface ApiClientOptions {
  /** Where the API answers: the gateway's own URL, or the ingress's. */
  baseUrl: string;
  /** The only CA to trust (PEM), as for the local ingress; it speaks HTTP/2, so that is offered too. */
  ca?: string | Buffer;
  /** Connection settings of the caller's own (a pool size, timeouts); not closed by `close`. */
  dispatcher?: Dispatcher;
}

export interface SendOptions {
  /** A bearer token. */
  token?: string;
  /** A JSON body. */
  json?: unknown;
  /** A multipart body. */
  multipart?: MultipartBody;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Account extends Credentials {
  token: string;
}

export interface UploadReceipt {
  message: string;
  id: string;
  filename: string;
  url: string;
  contentType: string;
  size: number;
}

export interface ImageEntry {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  createdAt: string;
  url: string;
}

interface RequestContent {
  headers: Record<string, string>;
  body?: RequestInit['body'];
}

function requestBody(json: unknown, multipart: MultipartBody | undefined): RequestContent {
  if (multipart !== undefined) {
    const headers: Record<string, string> = { 'content-type': multipart.contentType };
    if (multipart.contentLength !== undefined) headers['content-length'] = String(multipart.contentLength);
    return { headers, body: multipart.body };
  }
  if (json !== undefined) return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) };
  return { headers: {} };
}

export class ApiClient {
  readonly #baseUrl: string;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #ownsDispatcher: boolean;

  constructor({ baseUrl, ca, dispatcher }: ApiClientOptions) {
    this.#baseUrl = baseUrl.replace(/\/$/, '');
    this.#dispatcher = dispatcher ?? (ca === undefined ? undefined : new Agent({ connect: { ca }, allowH2: true }));
    this.#ownsDispatcher = dispatcher === undefined && ca !== undefined;
  }

  /** The raw answer to any call, whatever its status. */
  send(method: string, path: string, { token, json, multipart, headers, signal }: SendOptions = {}): Promise<Response> {
    const authorization = token === undefined ? {} : { authorization: `Bearer ${token}` };
    const content = requestBody(json, multipart);
    return fetch(`${this.#baseUrl}${path}`, {
      method,
      headers: { ...authorization, ...content.headers, ...headers },
      body: content.body,
      duplex: 'half', // a stream body is sent as it is read
      dispatcher: this.#dispatcher,
      signal,
    });
  }

  async register({ username, password }: Credentials): Promise<{ id: string; username: string }> {
    const response = await this.#checked(201, 'POST', '/register', { json: { username, password } });
    return (await response.json()) as { id: string; username: string };
  }

  /** A fresh bearer token (an Account will do: only its credentials are sent). */
  async login({ username, password }: Credentials): Promise<string> {
    const response = await this.#checked(200, 'POST', '/login', { json: { username, password } });
    return ((await response.json()) as { token: string }).token;
  }

  /** Registers a user no one has taken and logs in. */
  async newAccount(prefix?: string, password?: string): Promise<Account> {
    const credentials = newCredentials(prefix, password);
    await this.register(credentials);
    return { ...credentials, token: await this.login(credentials) };
  }

  /** Uploads a multipart body: the fixture image unless told otherwise. */
  async upload(token: string, multipart: MultipartBody = fixtureUpload): Promise<UploadReceipt> {
    return (await (await this.#checked(201, 'POST', '/upload', { token, multipart })).json()) as UploadReceipt;
  }

  /** The answer to a download, its body not yet read: as bytes, or as a stream for large files. */
  download(token: string, filename: string): Promise<Response> {
    return this.#checked(200, 'GET', `/images/${encodeURIComponent(filename)}`, { token });
  }

  /** The newest `limit` images of the token's user. */
  async list(token: string, limit = 100): Promise<ImageEntry[]> {
    const response = await this.#checked(200, 'GET', `/images?limit=${limit}`, { token });
    return ((await response.json()) as { images: ImageEntry[] }).images;
  }

  async delete(token: string, filename: string): Promise<void> {
    await (await this.#checked(204, 'DELETE', `/images/${encodeURIComponent(filename)}`, { token })).arrayBuffer();
  }

  /** Closes the connections of a client made with `ca`. */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher?.close();
  }

  async #checked(status: number, method: string, path: string, options: SendOptions): Promise<Response> {
    const response = await this.send(method, path, options);
    if (response.status === status) return response;
    throw new UnexpectedStatus(method, path, response.status, status, await response.text());
  }
}
