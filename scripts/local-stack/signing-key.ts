import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The auth service's token signing key for local work: generated on first start, kept in the
 * git-ignored state folder, never committed. Deployed environments get theirs from secrets.
 */
export function ensureSigningKey(keysDir: string): string {
  const file = join(keysDir, 'jwt-signing-key.pem');
  if (!existsSync(file)) {
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return file;
}
