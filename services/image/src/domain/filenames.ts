import { randomUUID } from 'node:crypto';

const maxBaseLength = 100;

/**
 * The stored name is `<uuid>_<safe name>.<extension>`: unique whatever the client sends, and safe to
 * put in a URL, a header or a log. The safe name keeps letters, digits, ".", "_" and "-" from the
 * original without its extension (after NFKC normalisation) and replaces everything else - path
 * separators, "..", control and bidirectional characters, spaces, non-ASCII - with "_". The
 * extension is the one of the format the content was sniffed as, never the client's: `photo.exe`
 * holding a PNG is stored as `photo.png`, so nothing downstream that trusts extensions is misled.
 */
export function storedFilename(originalName: string, extension: string, id: string = randomUUID()): string {
  const stem = safeName(withoutExtension(originalName.normalize('NFKC'))).slice(
    0,
    maxBaseLength - extension.length - 1,
  );
  return `${id}_${stem.replace(/\.+$/, '')}.${extension}`;
}

/** The name without its last extension; a path's directories keep their dots. */
const withoutExtension = (name: string) => name.replace(/\.[^./\\]*$/, '');

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
