// The Tiltfile, evaluated without Tilt (which the Go module proxy does not serve): the reference Starlark
// interpreter (go.starlark.net, the language Tilt embeds) runs it with recording stand-ins for Tilt's
// built-ins (helm/test/tiltfile/tilt-stubs.star), and the calls it made are returned.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { must, readText, toolsBin } from './repo.ts';

export type TiltCall = { kind: string; [field: string]: unknown };

export function evaluateTiltfile(args: Record<string, string>): TiltCall[] {
  const program = [
    readText('helm/test/tiltfile/tilt-stubs.star'),
    `ARGS.update(json.decode(${JSON.stringify(JSON.stringify(args))}))`,
    readText('Tiltfile').replaceAll('config.', 'config_'),
    'print(json.encode(CALLS))',
  ].join('\n');
  const file = join(mkdtempSync(join(tmpdir(), 'tiltfile-')), 'Tiltfile.star');
  writeFileSync(file, program);
  // -globalreassign: Tilt allows top-level if/for statements, as this flag does. print() writes to stderr.
  const run = spawnSync(join(toolsBin, 'starlark'), ['-globalreassign', file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`starlark failed (${run.status}): ${run.stderr}`);
  return JSON.parse(must(run.stderr.trim().split('\n').at(-1))) as TiltCall[];
}
