// `npm run bench -- --profile`: each service runs under `node --cpu-prof`, and its profile is summed up by
// where the CPU went (our packages, each npm package, Node's own modules, WebAssembly, the garbage collector).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 .cpuprofile (Profiler.Profile) this summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  /** The node each sample was taken in... */
  samples: number[];
  /** ...and the microseconds from the sample before it to it. */
  timeDeltas: number[];
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

/** CPU time by where it was spent, largest first: a sample's frame is charged until the next sample. */
export function summarizeProfile(profile: CpuProfile): ProfileShare[] {
  const whereById = new Map(profile.nodes.map((node) => [node.id, whereOf(node.callFrame)]));
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
