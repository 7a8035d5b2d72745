// scripts/tools/background.sh: npm test builds the Go tools in the background, group after group, and a stage
// waits only for the groups it names. Here a stand-in install.sh (in a scratch checkout) builds each group
// by sleeping, or fails, so the waiting, the failure and the clean-up can be watched without a Go build.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';

const backgroundLib = resolve(import.meta.dirname, '../background.sh');
const checkout = mkdtempSync(join(tmpdir(), 'tool-builds-test-'));
after(() => {
  rmSync(checkout, { recursive: true, force: true });
});

// The stand-in: `install.sh --group <group>` takes $<group>_seconds, then fails if $<group>_fails is set.
mkdirSync(join(checkout, 'scripts/tools'), { recursive: true });
const installer = join(checkout, 'scripts/tools/install.sh');
writeFileSync(
  installer,
  `group=$2
seconds_var="\${group}_seconds" fails_var="\${group}_fails"
echo "tools: building the $group tools"
echo "nice $(nice) $(cat /proc/self/autogroup 2>/dev/null)" >"$PWD/priority"
sleep "\${!seconds_var:-0}"
echo "$group built" >>"$PWD/built"
[ -z "\${!fails_var:-}" ] || { echo "tools: $group FAILED, the compiler said so"; exit 1; }
`,
);
chmodSync(installer, 0o755);

function run(body: string, env: Record<string, string> = {}) {
  rmSync(join(checkout, 'built'), { force: true });
  const result = spawnSync('bash', ['-c', `set -euo pipefail\nsource "${backgroundLib}"\n${body}`], {
    cwd: checkout,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('background tool builds', () => {
  it('builds the groups one after the other while the caller goes on, and await returns once they are built', () => {
    const { status, output } = run(
      `start_tool_builds stack delivery
echo "a stage that needs no tool ran"
await_tool_groups stack
echo "stack awaited: $(cat built | paste -sd,)"
await_tool_groups stack delivery
echo "delivery awaited: $(cat built | paste -sd,)"`,
      { stack_seconds: '1', delivery_seconds: '6' },
    );
    assert.equal(status, 0, output);
    assert.match(output, /a stage that needs no tool ran\n/);
    // Waiting for stack did not wait for delivery, which was still building.
    assert.match(output, /stack awaited: stack built\n/);
    assert.match(
      output,
      /tools: waiting for the delivery Go tools \(0 s so far\): tools: building the delivery tools\n/,
    );
    assert.match(
      output,
      /tools: the delivery Go tools are built \(waited \d+ s\)\ndelivery awaited: stack built,delivery built\n/,
    );
  });

  it('builds at the lowest CPU priority, within its session and against the tests’ session', () => {
    const { status, output } = run('start_tool_builds stack\nawait_tool_groups stack');
    assert.equal(status, 0, output);
    const priority = readFileSync(join(checkout, 'priority'), 'utf8');
    assert.match(priority, /^nice 19 /);
    // With autogroups, a session's share of the CPUs is set by its autogroup's nice, not its processes'.
    if (existsSync('/proc/self/autogroup')) assert.match(priority, /\/autogroup-\d+ nice 19$/m);
  });

  it('fails the waiting stage with the end of the failed build’s log', () => {
    const { status, output } = run('start_tool_builds stack\nawait_tool_groups stack\necho "went on"', {
      stack_fails: '1',
    });
    assert.equal(status, 1);
    assert.match(output, /tools: building the stack Go tools failed \(exit 1\):\n/);
    assert.match(output, /tools: stack FAILED, the compiler said so\n/);
    assert.doesNotMatch(output, /went on/);
  });

  it('stops builds still running when the run ends, and leaves nothing behind', async () => {
    const { status, output } = run('start_tool_builds stack\necho "the run ends"', { stack_seconds: '2' });
    assert.equal(status, 0, output);
    await setTimeout(3_000);
    assert.equal(existsSync(join(checkout, 'built')), false, 'the build was stopped before it finished');
    const logs = /\(logs: (\S+)\)/.exec(output)?.[1];
    assert.ok(logs !== undefined && !existsSync(logs), `its scratch directory ${String(logs)} is gone`);
  });

  it('refuses to wait for a group that was never started', () => {
    const { status, output } = run('start_tool_builds stack\nawait_tool_groups delivery');
    assert.equal(status, 1);
    assert.match(output, /tools: the delivery Go tools were not asked for/);
  });
});
