// scripts/promote on a copy of the repository: the error budget policy read from a real Prometheus, the
// release checked in its registry, and the one-line change committed on its branch. (The whole promotion
// against a real registry, Argo CD and a prod cluster is in npm run test:gitops.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot, toolsBin } from './lib/repo.ts';
import { type RecordedSeries, startPrometheus, type TestPrometheus } from './lib/prometheus.ts';

/** Sloth's recorded share of an SLO's 30-day budget left, as prod's Prometheus would hold it. */
const budgetLeft = (slo: string, value: number): RecordedSeries => ({
  record: 'slo:period_error_budget_remaining:ratio',
  labels: { sloth_id: `api-${slo}`, sloth_service: 'api', sloth_slo: slo },
  value,
});

/** A repository holding what promote reads, with a stand-in registry client that knows release 1.2.3. */
function checkout(): {
  dir: string;
  run: (args: string[], env?: Record<string, string>) => string;
  git: (...args: string[]) => string;
  calls: () => string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'promote-'));
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'slo'));
  // The registry client is a stand-in here (the real one, against a real registry, is in npm run test:gitops).
  const bin = mkdtempSync(join(tmpdir(), 'promote-bin-'));
  writeFileSync(
    join(bin, 'skopeo'),
    '#!/bin/sh\necho "$@" >> "$(dirname "$0")/calls"\ncase "$*" in *:1.2.3) exit 0 ;; esac\necho "msg=manifest unknown" >&2; exit 1\n',
    { mode: 0o755 },
  );
  cpSync(join(repoRoot, 'scripts/promote'), join(dir, 'scripts/promote'));
  cpSync(join(repoRoot, 'slo/rules'), join(dir, 'slo/rules'), { recursive: true });
  cpSync(join(repoRoot, 'helm'), join(dir, 'helm'), {
    recursive: true,
    filter: (src) => !src.includes('/charts/') || !/\/charts\/[^/]+\/charts(\/|$)/.test(src),
  });
  const identity = {
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@e',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@e',
  };
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...identity } });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'base');
  const run = (args: string[], env: Record<string, string> = {}): string =>
    execFileSync('bash', ['scripts/promote', ...args], {
      cwd: dir,
      encoding: 'utf8',
      stdio: 'pipe',
      env: { ...process.env, ...identity, PATH: `${bin}:${toolsBin}:${process.env['PATH'] ?? ''}`, ...env },
    });
  return { dir, run, git, calls: () => readFileSync(join(bin, 'calls'), 'utf8') };
}

describe('scripts/promote', () => {
  let healthy: TestPrometheus;
  let spent: TestPrometheus;
  before(async () => {
    [healthy, spent] = await Promise.all([
      startPrometheus([budgetLeft('availability', 0.4), budgetLeft('latency', 0.001)]),
      startPrometheus([budgetLeft('availability', -0.25), budgetLeft('latency', 0.5), budgetLeft('upload-success', 0)]),
    ]);
  });
  after(async () => {
    await Promise.all([healthy.stop(), spent.stop()]);
  });

  test('checks the budgets and the release, changes exactly one line per file and commits it on a branch', () => {
    const { run, git, calls } = checkout();
    const prod = { PROD_PROMETHEUS_URL: healthy.url };
    assert.throws(
      () => run(['auth', '9.9.9'], prod),
      /does not exist \(nothing changed\)/,
      'refuses a release that is not in its registry',
    );
    assert.equal(git('status', '--porcelain').trim(), '', 'and changes nothing');
    const output = run(['auth', '1.2.3'], prod);
    assert.match(output, /error budgets checked at http:\/\/127\.0\.0\.1:\d+: none is spent/);
    assert.match(
      calls(),
      /inspect --raw docker:\/\/registry\.example\.com\/platform\/auth:1\.2\.3\n.*docker:\/\/registry\.example\.com\/platform\/migrate:1\.2\.3/,
    );
    assert.equal(git('branch', '--show-current').trim(), 'promote/auth-1.2.3');
    assert.equal(
      git('diff', '--numstat', 'main', 'HEAD').trim(),
      '1\t1\thelm/env/prod/auth.yaml\n1\t1\thelm/env/prod/migrations.yaml',
    );
    assert.match(git('show', 'HEAD:helm/env/prod/auth.yaml'), /^ {2}tag: "1\.2\.3"$/m);
    assert.doesNotMatch(git('log', '-1', '--format=%B'), /Error-Budget-Override/);
    assert.throws(() => run(['api', 'latest'], prod), /must be semver/, 'refuses a non-version');
  });

  test('refuses while an SLO has spent its budget (at or below zero), naming each, and changes nothing', () => {
    const { run, git } = checkout();
    assert.throws(
      () => run(['api', '1.2.3'], { PROD_PROMETHEUS_URL: spent.url }),
      (error: Error & { stderr: string }) => {
        assert.match(error.stderr, /error budget policy refuses \(nothing changed\)/);
        assert.match(error.stderr, /^ {2}api-availability: -0\.25 of the budget left$/m);
        assert.match(error.stderr, /^ {2}api-upload-success: 0 of the budget left$/m);
        assert.doesNotMatch(error.stderr, /api-latency/);
        assert.match(error.stderr, /--override-budget REASON/);
        return true;
      },
    );
    assert.equal(git('status', '--porcelain').trim(), '');
    assert.equal(git('branch', '--show-current').trim(), 'main');
  });

  test('refuses when the budgets cannot be read, or no Prometheus is named', () => {
    const { run } = checkout();
    assert.throws(
      () => run(['api', '1.2.3'], { PROD_PROMETHEUS_URL: 'http://127.0.0.1:1' }),
      /cannot read prod's error budgets from http:\/\/127\.0\.0\.1:1 \(nothing changed\)/,
    );
    assert.throws(() => run(['api', '1.2.3'], { PROD_PROMETHEUS_URL: '' }), /set PROD_PROMETHEUS_URL/);
  });

  test('an override promotes anyway, with its reason in the commit', () => {
    const { run, git } = checkout();
    assert.throws(() => run(['api', '1.2.3', '--override-budget']), /--override-budget needs a reason/);
    const reason = 'the fix for the upload burn (INC-42)';
    const output = run(['api', '1.2.3', '--override-budget', reason], { PROD_PROMETHEUS_URL: spent.url });
    assert.match(output, /error budget policy is overridden: the fix for the upload burn \(INC-42\)/);
    assert.equal(git('log', '-1', '--format=%(trailers:key=Error-Budget-Override,valueonly)').trim(), reason);
    assert.equal(git('diff', '--numstat', 'main', 'HEAD').trim(), '1\t1\thelm/env/prod/api.yaml');
  });
});
