import type { Credentials, PlatformClient } from './platform-client.ts';

// The calls every probe makes the same way: logging in, deleting what it uploaded, bounding a call by a deadline.

/** Logs in; an account refused as unknown is registered once, then logged in again. */
export async function logIn(client: PlatformClient, account: Credentials, signal: AbortSignal): Promise<string> {
  const token = await client.login(account, signal);
  if (token !== undefined) return token;
  await client.register(account, signal);
  const afterRegistration = await client.login(account, signal);
  if (afterRegistration === undefined) throw new Error('login refused right after registration: wrong password?');
  return afterRegistration;
}

/** True when the image is gone (deleted now, or already). */
export async function cleanUp(
  client: PlatformClient,
  token: string,
  filename: string,
  timeoutMs: number,
): Promise<boolean> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await withinDeadline(client.remove(token, filename, signal), signal);
    return true;
  } catch {
    return false;
  }
}

/** Settles with `work`, or rejects once `signal` aborts, even if `work` never settles. */
export function withinDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
