import type { PlatformClient } from '../../src/domain/platform-client.ts';

/** An in-memory platform: one account, its images; each call can be overridden to fail. */
export function fakePlatform(overrides: Partial<PlatformClient> = {}) {
  const accounts = new Set<string>();
  const images = new Map<string, Buffer>();
  const calls: string[] = [];
  let next = 0;
  const client: PlatformClient = {
    login: (account) => {
      calls.push('login');
      return Promise.resolve(accounts.has(account.username) ? 'token' : undefined);
    },
    register: (account) => {
      calls.push('register');
      accounts.add(account.username);
      return Promise.resolve();
    },
    upload: async (_token, png) => {
      calls.push('upload');
      const filename = `${String((next += 1))}_journey-probe.png`;
      images.set(filename, Buffer.from(await png.arrayBuffer()));
      return filename;
    },
    download: (_token, filename) => {
      calls.push('download');
      const bytes = images.get(filename);
      return bytes === undefined ? Promise.reject(new Error('404')) : Promise.resolve(bytes);
    },
    remove: (_token, filename) => {
      calls.push('remove');
      return Promise.resolve(images.delete(filename));
    },
    list: () => {
      calls.push('list');
      return Promise.resolve([...images.keys()]);
    },
  };
  const wrapped = Object.fromEntries(
    Object.entries(client).map(([name, call]) => [
      name,
      overrides[name as keyof PlatformClient] === undefined
        ? call
        : (...args: unknown[]) => {
            calls.push(`${name}!`);
            return (overrides[name as keyof PlatformClient] as (...a: unknown[]) => Promise<unknown>)(...args);
          },
    ]),
  ) as unknown as PlatformClient;
  return { client: wrapped, images, calls, accounts };
}
