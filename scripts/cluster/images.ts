// The node's images: built on this machine by scripts/images/build.sh (no registry can be reached) and
// imported into the node's containerd, in the k8s.io namespace the kubelet uses.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerdBin } from './components.ts';
import { tools } from './settings.ts';

export interface BuiltImage {
  name: string;
  ref: string;
  archive: string;
  /** Bytes of the archive. */
  size: number;
  /** What the image was built from (a hash of its Dockerfile, context and base): unchanged inputs, same image. */
  inputs: string;
}

const indexFile = join(tools.images, 'index.json');

export function builtImages(): BuiltImage[] {
  if (!existsSync(indexFile)) throw new Error(`no images built yet (${indexFile}): run bash scripts/images/build.sh`);
  return JSON.parse(readFileSync(indexFile, 'utf8')) as BuiltImage[];
}

/** The reference of a built image, by name (pause, coredns, api, ...). */
export function imageRef(name: string): string {
  const image = builtImages().find((i) => i.name === name);
  if (image === undefined) throw new Error(`no image "${name}" in ${indexFile}: run bash scripts/images/build.sh`);
  return image.ref;
}

/** Imports each built image whose inputs changed since it was last imported (a label on the image records them). */
export function importImages(containerdSocket: string, progress: (message: string) => void): void {
  const ctr = (args: string[]) =>
    execFileSync(join(containerdBin, 'ctr'), ['--address', containerdSocket, '--namespace', 'k8s.io', ...args], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
  for (const image of builtImages()) {
    const stored = normalise(image.ref);
    const current = ctr([
      'images',
      'list',
      '--quiet',
      `name==${stored},labels."platform.inputs"=="${image.inputs}"`,
    ]).trim();
    if (current === stored) continue;
    const started = Date.now();
    ctr(['images', 'import', image.archive]);
    ctr(['images', 'label', stored, `platform.inputs=${image.inputs}`]);
    progress(
      `image ${stored} imported (${(image.size / 1024 / 1024).toFixed(0)} MiB, ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  }
}

/** How containerd names a reference: docker.io/library/ is implied for short names. */
export function normalise(ref: string): string {
  const [first] = ref.split('/');
  if (ref.includes('/') && first !== undefined && (first.includes('.') || first.includes(':') || first === 'localhost'))
    return ref;
  return ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}
