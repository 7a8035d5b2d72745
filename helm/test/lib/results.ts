// The figures a stage's suites reported (helm/test/cluster/support.ts report()), for its one-line summary.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterLayout } from '../../../scripts/cluster/settings.ts';

const results = join(clusterLayout(process.env['CLUSTER_STATE_DIR']).root, 'results');

/** Each named report's figures; when one is missing, says so for the stage and exits 1. */
export function reportedFigures<Name extends string>(
  stage: string,
  names: readonly Name[],
): Record<Name, Record<string, unknown>> {
  const missing = names.filter((name) => !existsSync(join(results, `${name}.json`)));
  if (missing.length > 0) {
    console.log(`${stage}: incomplete (no figures from ${missing.join(', ')})`);
    process.exit(1);
  }
  return Object.fromEntries(
    names.map((name) => [
      name,
      JSON.parse(readFileSync(join(results, `${name}.json`), 'utf8')) as Record<string, unknown>,
    ]),
  ) as Record<Name, Record<string, unknown>>;
}
