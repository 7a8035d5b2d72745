// The cluster on the host: it listens on loopback and the node address only (the node address is a /32 on
// lo, so nothing is reachable from the network), and a second start while it runs says so.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { runningDaemons } from '../../../scripts/cluster/daemons.ts';
import { network, repoRoot } from '../../../scripts/cluster/settings.ts';
import { layout } from './support.ts';

/** The processes started by the cluster's components (their pids and every descendant's). */
function clusterProcesses(): Set<number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const found = new Set(runningDaemons(layout).values());
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (!found.has(pid) && found.has(parent)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return found;
}

describe('the cluster on the host', () => {
  test('every listening socket of the cluster is on loopback or the node address', () => {
    const processes = clusterProcesses();
    assert.ok(processes.size >= 8, `only ${processes.size} cluster processes found`);
    const listeners = execFileSync('ss', ['-H', '-l', '-n', '-t', '-u', '-p'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .flatMap((line) => {
        const local = line.split(/\s+/)[4] ?? '';
        const pids = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
        return pids.some((pid) => processes.has(pid)) ? [local] : [];
      });
    assert.ok(listeners.length >= 8, `only ${listeners.length} listeners: ${listeners.join(', ')}`);
    const allowed = (address: string) =>
      ['127.0.0.1', network.nodeAddress, '[::1]'].includes(address.slice(0, address.lastIndexOf(':')));
    assert.deepEqual(
      listeners.filter((l) => !allowed(l)),
      [],
    );
  });

  test('a second start while the cluster runs says so and changes nothing', () => {
    const output = execFileSync(process.execPath, ['scripts/cluster/cli.ts'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: process.env,
    });
    assert.match(output, /already running/);
  });
});
