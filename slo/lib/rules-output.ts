// What the rule generators next to Sloth share: the SLO specs they read and how they write a rules file.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

export interface SloSpec {
  /** The spec's file name in slo/specs/. */
  file: string;
  service: string;
  labels?: Record<string, string>;
  slos: { name: string; objective: number; sli: { events: { error_query: string; total_query: string } } }[];
}

export const sloDir = new URL('../', import.meta.url).pathname;

/** Every spec in slo/specs/, in file-name order. */
export async function readSpecs(): Promise<SloSpec[]> {
  const files = (await readdir(join(sloDir, 'specs'))).filter((name) => name.endsWith('.yml')).sort();
  return Promise.all(
    files.map(async (file) => ({
      file,
      ...(parse(await readFile(join(sloDir, 'specs', file), 'utf8')) as Omit<SloSpec, 'file'>),
    })),
  );
}

/** The rule groups' evaluation interval slo/generate.sh passes as --interval=<duration> (the drill's), if any. */
export const ruleInterval = (): string | undefined =>
  process.argv.find((arg) => arg.startsWith('--interval='))?.slice('--interval='.length);

/** `<Service>`, as alert names start. */
export const titleOf = (service: string): string => service.charAt(0).toUpperCase() + service.slice(1);

/** Writes a Prometheus rules file in Sloth's layout (so slo/mutation reads both alike), under a header. */
export async function writeRulesFile(path: string, header: string[], rules: object): Promise<void> {
  const body = stringify(rules, { lineWidth: 0, aliasDuplicateObjects: false, indentSeq: false });
  await writeFile(path, `${header.map((line) => `# ${line}`).join('\n')}\n${body}`);
}
