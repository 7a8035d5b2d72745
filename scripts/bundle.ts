// Bundles each service into one ES module, services/<name>/dist/main.mjs, with esbuild: what its image runs, and
// what the local stack runs when it does not watch the sources (tests, the benchmark). One module instead of the
// TypeScript sources and the hundreds of modules they import: no type stripping and less code at start, which is
// 25-30 MiB of resident memory per service (README, "Performance").
//
//   node scripts/bundle.ts                 every service
//   node scripts/bundle.ts api auth        only these
//
// A service's package.json may say, under "bundle": "external", packages left to node_modules (native addons, which
// load files next to their own code), and "assets", files its code reads beside itself (new URL('./x',
// import.meta.url)), copied into dist/. A source map is written beside the bundle; NODE_OPTIONS=--enable-source-maps
// makes stack traces name the sources.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const bundledServices = ['api', 'auth', 'image', 'prober'] as const;
export type BundledService = (typeof bundledServices)[number];

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

interface BundleSettings {
  external?: string[];
  assets?: string[];
}

/** The entry point a bundled service is started from, relative to the repository root. */
export function bundleEntry(service: BundledService): string {
  return `services/${service}/dist/main.mjs`;
}

/**
 * Builds the services' bundles. Files are written under a temporary name and renamed, so a stack starting a service
 * while another stack rebuilds it reads a whole bundle (the same bytes: builds are deterministic).
 */
export async function bundleServices(services: readonly BundledService[] = bundledServices): Promise<void> {
  await Promise.all(services.map(bundleService));
}

let everyBundle: Promise<void> | undefined;

/**
 * Every service's bundle, built once per process: a stack starting a service again (the fault suites) and the
 * next stack a suite starts reuse it, since the sources do not change under a run that does not watch them.
 */
export function ensureBundles(): Promise<void> {
  everyBundle ??= bundleServices();
  return everyBundle;
}

async function bundleService(service: BundledService): Promise<void> {
  const serviceDir = join(repoRoot, 'services', service);
  const outDir = join(serviceDir, 'dist');
  const manifest = JSON.parse(readFileSync(join(serviceDir, 'package.json'), 'utf8')) as { bundle?: BundleSettings };
  const settings = manifest.bundle ?? {};
  const result = await build({
    entryPoints: [join(serviceDir, 'src/main.ts')],
    outfile: join(outDir, 'main.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    external: settings.external ?? [],
    // CommonJS dependencies call require(); an ES module has none of its own.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
    write: false,
  });
  mkdirSync(outDir, { recursive: true });
  for (const file of result.outputFiles) writeAtomically(file.path, file.contents);
  for (const asset of settings.assets ?? []) {
    writeAtomically(join(outDir, basename(asset)), readFileSync(join(serviceDir, asset)));
  }
}

function writeAtomically(path: string, contents: Uint8Array): void {
  const temporary = `${path}.${String(process.pid)}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

if (import.meta.main) {
  const asked = process.argv.slice(2);
  const usage = `usage: node scripts/bundle.ts [${bundledServices.join(' | ')} ...]`;
  if (asked.includes('--help')) {
    console.log(usage);
    process.exit(0);
  }
  if (asked.some((name) => !(bundledServices as readonly string[]).includes(name))) {
    console.error(usage);
    process.exit(2);
  }
  const started = performance.now();
  await bundleServices(asked.length > 0 ? (asked as BundledService[]) : bundledServices);
  console.log(
    `bundled ${asked.length > 0 ? asked.join(', ') : bundledServices.join(', ')} in ${String(Math.round(performance.now() - started))} ms`,
  );
}
