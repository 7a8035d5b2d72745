// The cluster stage's one-line summary, from the figures the suites reported (support.ts report()).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterLayout } from '../../../scripts/cluster/settings.ts';

const results = join(clusterLayout(process.env['CLUSTER_STATE_DIR']).root, 'results');
const read = (name: string): Record<string, unknown> | undefined => {
  const path = join(results, `${name}.json`);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : undefined;
};

const install = read('install');
const walkthrough = read('walkthrough');
const network = read('network-policy');
const healing = read('healing');
const missing = ['install', 'walkthrough', 'network-policy', 'healing'].filter((name) => read(name) === undefined);
if (missing.length > 0) {
  console.log(`cluster: incomplete (no figures from ${missing.join(', ')})`);
  process.exit(1);
}
console.log(`cluster: ${String(install?.['charts'])} charts installed, ${String(install?.['podsReady'])} pods ready on a real node, ` +
  `walk-through via ${String(walkthrough?.['edge'])} ok, netpol ${String(network?.['allowed'])} allowed + ${String(network?.['denied'])} denied as expected, ` +
  `healing ${healing?.['ok'] === true ? 'ok' : 'FAILED'}`);
