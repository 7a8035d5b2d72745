import { randomUUID } from 'node:crypto';

const maxBaseLength = 100;

/**
 * The stored name is `<uuid>_<safe name>`: unique whatever the client sends, and safe to put in a
 * URL, a header or a log. The safe name keeps letters, digits, ".", "_" and "-" from the original
 * (after NFKC normalisation) and replaces everything else - path separators, "..", control and
 * bidirectional characters, spaces, non-ASCII - with "_".
 */
export function storedFilename(originalName: string, id: string = randomUUID()): string {
  return `${id}_${safeName(originalName)}`;
}

export function safeName(originalName: string): string {
  const basename = originalName.normalize('NFKC').split(/[/\\]/).pop() ?? '';
  const safe = basename
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^[._-]+/, '')
    .slice(0, maxBaseLength);
  return safe === '' ? 'image' : safe;
}

/** What a stored name looks like; anything else cannot name an image and is answered 404 at once. */
export const storedFilenamePattern =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
