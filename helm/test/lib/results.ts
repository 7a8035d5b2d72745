// The figures a stage's suites reported (helm/test/cluster/support.ts report()), for its one-line summary.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterLayout } from '../../../scripts/cluster/settings.ts';

const results = join(clusterLayout(process.env['CLUSTER_STATE_DIR']).root, 'results');

/** Each named report's figures; when one is missing, says so for the stage and exits 1. */
export function reportedFigures<Name extends string>(stage: string, names: readonly Name[]): Record<Name, Record<string, unknown>> {
  const read = (name: string): Record<string, unknown> | undefined => {
    const path = join(results, `${name}.json`);
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : undefined;
  };
  const missing = names.filter((name) => read(name) === undefined);
  if (missing.length > 0) {
    console.log(`${stage}: incomplete (no figures from ${missing.join(', ')})`);
    process.exit(1);
  }
  return Object.fromEntries(names.map((name) => [name, read(name)])) as Record<Name, Record<string, unknown>>;
}
