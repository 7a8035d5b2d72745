// Files that Go modules publish (CRDs, upstream manifests, kwok's stages), read from the Go module cache at the
// versions the project pins, downloaded through the module proxy when missing.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './settings.ts';

/** The folder of `module@version` in the module cache. `toolchain`: the Go its go.mod asks for, if newer than ours. */
export function goModuleDir(moduleAtVersion: string, toolchain?: string): string {
  const download = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', moduleAtVersion], {
      encoding: 'utf8',
      env: { ...process.env, ...(toolchain === undefined ? {} : { GOTOOLCHAIN: toolchain }) },
    }),
  ) as { Dir?: string; Error?: string };
  if (download.Dir === undefined)
    throw new Error(`go mod download ${moduleAtVersion}: ${download.Error ?? 'no folder'}`);
  return download.Dir;
}

/** The module@version a tool of scripts/tools/go-tools.tsv is built from (its package's module, at its pin). */
export function toolModule(command: string): { module: string; version: string; toolchain?: string } {
  const row = readFileSync(join(repoRoot, 'scripts/tools/go-tools.tsv'), 'utf8')
    .split('\n')
    .find((line) => line.split(/\s+/)[0] === command);
  const [, source, pkg] = row?.split(/\s+/) ?? [];
  if (source === undefined || pkg === undefined) throw new Error(`${command} is not in scripts/tools/go-tools.tsv`);
  if (source === 'go-install') {
    const [path = '', version = ''] = pkg.split('@');
    return { module: path.replace(/\/cmd\/[^/]+$/, ''), version };
  }
  // A wrapper module: its go.mod requires the module the package belongs to, and may name a newer toolchain.
  const goMod = readFileSync(join(repoRoot, 'scripts/tools', source, 'go.mod'), 'utf8');
  const required = [...goMod.matchAll(/^require (\S+) (\S+)$/gm)].find(([, path = '']) => pkg.startsWith(path));
  if (required?.[1] === undefined || required[2] === undefined)
    throw new Error(`${source}/go.mod requires no module of ${pkg}`);
  const toolchain = /^toolchain (\S+)$/m.exec(goMod)?.[1];
  return { module: required[1], version: required[2], ...(toolchain === undefined ? {} : { toolchain }) };
}
