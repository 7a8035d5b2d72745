/** The account the prober journeys as. */
export interface Credentials {
  username: string;
  password: string;
}

/**
 * The platform's public API as the prober uses it (data-access/api-client.ts talks to the edge; unit
 * tests give a fake). Every call stops when its signal aborts; a call that did not get the answer it
 * expects throws.
 */
export interface PlatformClient {
  /** A bearer token, or undefined when the credentials are refused (401: no such account yet). */
  login: (account: Credentials, signal: AbortSignal) => Promise<string | undefined>;
  /** Creates the account; an account that already exists (409) is fine. */
  register: (account: Credentials, signal: AbortSignal) => Promise<void>;
  /** Uploads a PNG (a Blob: read as the request streams, and reusable); resolves with the stored file name (201). */
  upload: (token: string, png: Blob, signal: AbortSignal) => Promise<string>;
  /** The bytes of an image, read to the end. */
  download: (token: string, filename: string, signal: AbortSignal) => Promise<Buffer>;
  /** Deletes an image; `false` when it was not there (404). */
  remove: (token: string, filename: string, signal: AbortSignal) => Promise<boolean>;
  /** The file names of the account's images. */
  list: (token: string, signal: AbortSignal) => Promise<string[]>;
}
