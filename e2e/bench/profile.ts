// `npm run bench -- --profile`: each service runs under `node --cpu-prof`, and its profile is summed up by
// where the CPU went (our packages, each npm package, Node's own modules, WebAssembly, the garbage collector).
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of a V8 .cpuprofile (Profiler.Profile) this summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  /** The node each sample was taken in... */
  samples: number[];
  /** ...and the microseconds from the sample before it to it. */
  timeDeltas: number[];
}

/** Positions are zero-based, as V8 reports them. */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber?: number;
  columnNumber?: number;
}

export interface ProfileShare {
  where: string;
  selfMs: number;
  /** Of the time the process was busy (idle time left out). */
  share: number;
}

/** The options that make a service write its profile into `dir` when it exits. */
export function cpuProfileOptions(dir: string): (service: string) => string[] {
  return (service) => ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${service}.cpuprofile`];
}

/** Where a function's code lives, as a reader of the profile wants it grouped. */
export function whereOf({ functionName, url }: { functionName: string; url: string }): string {
  if (url === '') {
    // V8's pseudo-frames ((garbage collector), (program): the runtime, (idle), (root)), else a native
    // function called from JavaScript (writev, writeLatin1String: socket writes).
    if (functionName === '(garbage collector)') return 'garbage collector';
    return functionName.startsWith('(') ? `V8 ${functionName}` : `native ${functionName}`;
  }
  if (url.startsWith('wasm://')) return 'WebAssembly';
  if (url.startsWith('node:')) {
    // node:internal/streams/readable is streams; node:_http_outgoing is http.
    const module = url.slice('node:'.length);
    const internal = /^internal\/([^/]+)/.exec(module)?.[1];
    return `node:${internal ?? module.replace(/^_([^_]+).*/, '$1')}`;
  }
  const packageName = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (packageName !== undefined) return packageName;
  const own = /\/((?:services|packages)\/[^/]+)\//.exec(url)?.[1];
  return own === undefined ? 'other' : `ours: ${own}`;
}

/**
 * A bundled service's frames all point into its bundle (scripts/bundle.ts); its source map, written beside it,
 * gives back the file each came from, so the profile still says which package the time went to.
 */
export function sourceOf(callFrame: CallFrame, mapOf: (url: string) => SourceMap | undefined): CallFrame {
  const map = callFrame.url.startsWith('file:') ? mapOf(callFrame.url) : undefined;
  if (map === undefined || callFrame.lineNumber === undefined || callFrame.columnNumber === undefined) return callFrame;
  const entry = map.findEntry(callFrame.lineNumber, callFrame.columnNumber);
  // A position the map does not cover, or code esbuild wrote itself (a mapping with no source), stays put.
  if (!('originalSource' in entry) || typeof entry.originalSource !== 'string') return callFrame;
  // esbuild names sources relative to the map's directory.
  return { ...callFrame, url: resolve(dirname(fileURLToPath(callFrame.url)), entry.originalSource) };
}

/** The source map beside a file (`<file>.map`), read once per file. */
function sourceMaps(): (url: string) => SourceMap | undefined {
  const maps = new Map<string, SourceMap | undefined>();
  return (url) => {
    if (!maps.has(url)) {
      const file = `${fileURLToPath(url)}.map`;
      maps.set(
        url,
        existsSync(file)
          ? new SourceMap(JSON.parse(readFileSync(file, 'utf8')) as ConstructorParameters<typeof SourceMap>[0])
          : undefined,
      );
    }
    return maps.get(url);
  };
}

/** CPU time by where it was spent, largest first: a sample's frame is charged until the next sample. */
export function summarizeProfile(profile: CpuProfile): ProfileShare[] {
  const mapOf = sourceMaps();
  const whereById = new Map(profile.nodes.map((node) => [node.id, whereOf(sourceOf(node.callFrame, mapOf))]));
  const microseconds = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const where = whereById.get(id) ?? 'other';
    microseconds.set(where, (microseconds.get(where) ?? 0) + (profile.timeDeltas[index + 1] ?? 0));
  });
  microseconds.delete('V8 (idle)');
  const busy = [...microseconds.values()].reduce((sum, value) => sum + value, 0);
  return [...microseconds]
    .map(([where, value]) => ({ where, selfMs: value / 1000, share: busy === 0 ? 0 : value / busy }))
    .sort((a, b) => b.selfMs - a.selfMs);
}

/** One table per service: the largest `top` shares, then the rest together. */
export function renderProfiles(dir: string, services: readonly string[], top = 12): string {
  return services
    .map((service) => {
      const file = join(dir, `${service}.cpuprofile`);
      if (!existsSync(file)) return `${service}: no profile in ${file} (did it exit cleanly?)`;
      const shares = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
      const busySeconds = shares.reduce((sum, { selfMs }) => sum + selfMs, 0) / 1000;
      const shown = shares.slice(0, top);
      const rest = shares
        .slice(top)
        .reduce((sum, { selfMs, share }) => ({ selfMs: sum.selfMs + selfMs, share: sum.share + share }), {
          selfMs: 0,
          share: 0,
        });
      const rows = [...shown, ...(rest.selfMs > 0 ? [{ where: 'the rest', ...rest }] : [])].map(
        ({ where, selfMs, share }) =>
          `  ${where.padEnd(34)} ${(selfMs / 1000).toFixed(2).padStart(7)} s ${(share * 100).toFixed(1).padStart(5)} %`,
      );
      return [`${service}: ${busySeconds.toFixed(1)} s of CPU, start-up included (${file})`, ...rows].join('\n');
    })
    .join('\n\n');
}
