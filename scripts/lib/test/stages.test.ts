// scripts/lib/stages.sh, the stage runner of npm test, test:k8s and test:slo:static: the named stages run
// in order, the first failure stops the run (and its own stage at the failing command), and the summary
// lists every named stage with its result.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';

const stagesLib = resolve(import.meta.dirname, '../stages.sh');

const script = (beforeStage = '') => `
set -euo pipefail
source "${stagesLib}"
${beforeStage}
stage_first() { echo "first ran"; }
stage_broken() { false; echo "broken went on"; }
stage_last() { echo "last ran"; }
run_stages demo "$@"
`;

function runStagesWith(beforeStage: string, ...stages: string[]) {
  const result = spawnSync('bash', ['-c', script(beforeStage), 'stages-test', ...stages], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const runStages = (...stages: string[]) => runStagesWith('', ...stages);

describe('run_stages', () => {
  it('runs every named stage in order and says they all passed', () => {
    const { status, stdout } = runStages('last', 'first');
    assert.equal(status, 0);
    assert.ok(stdout.indexOf('last ran') < stdout.indexOf('first ran'));
    assert.match(stdout, /=== demo: all stages passed\n {2}last +\d+ s {2}passed\n {2}first +\d+ s {2}passed\n$/);
  });

  it('stops at the first failing command of the first failing stage and lists what did not run', () => {
    const { status, stdout } = runStages('first', 'broken', 'last');
    assert.equal(status, 1);
    assert.doesNotMatch(stdout, /broken went on|last ran/);
    assert.match(stdout, /=== demo: stopped at the first failure\n/);
    assert.match(stdout, /broken +\d+ s {2}FAILED\n {2}last +not run\n$/);
  });

  it('refuses an unknown stage before running any', () => {
    const { status, stdout, stderr } = runStages('first', 'typo');
    assert.equal(status, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /demo: unknown stage: typo \(stages: broken first last\)/);
  });

  it('runs before_stage first in every stage, and a failing before_stage fails its stage', () => {
    const beforeStage = 'before_stage() { echo "before $1"; [ "$1" != last ]; }';
    const { status, stdout } = runStagesWith(beforeStage, 'first', 'last');
    assert.equal(status, 1);
    assert.match(stdout, /before first\nfirst ran\n/);
    assert.match(stdout, /before last\n/);
    assert.doesNotMatch(stdout, /last ran/);
    assert.match(stdout, /last +\d+ s {2}FAILED\n$/);
  });
});
