// Prod reads a release branch, not main: the ApplicationSet gives each environment its revision, and
// scripts/release-prod moves prod's branch only forward, only to commits of main.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { renderValue } from './lib/gotemplate.ts';
import { applicationSet, repoRoot } from './lib/repo.ts';

describe('what each environment tracks', () => {
  const set = applicationSet();
  const [environmentList] = set.spec.generators[0].matrix.generators;
  const revisionOf = (env: string): unknown => {
    const element = environmentList.list.elements.find((e) => e['env'] === env);
    assert.ok(element, env);
    const template = set.spec.template as { spec: { source: { targetRevision: string } } };
    return renderValue(template.spec.source.targetRevision, element);
  };

  test('dev follows main; prod reads the prod branch, which a release moves', () => {
    assert.equal(revisionOf('dev'), 'main');
    assert.equal(revisionOf('prod'), 'prod');
  });
});

describe('scripts/release-prod', () => {
  const base = mkdtempSync(join(tmpdir(), 'release-prod-'));
  const origin = join(base, 'origin.git');
  const work = join(base, 'work');
  const git = (cwd: string, ...args: string[]): string =>
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  const release = (...args: string[]): string =>
    execFileSync('bash', ['scripts/release-prod', ...args], { cwd: work, encoding: 'utf8', stdio: 'pipe' });
  const prodBranch = (): string => git(origin, 'rev-parse', 'refs/heads/prod');
  const commitOn = (message: string): string => {
    writeFileSync(join(work, 'change.txt'), message);
    git(work, 'add', '--all');
    git(work, 'commit', '-q', '-m', message);
    return git(work, 'rev-parse', 'HEAD');
  };

  mkdirSync(work);
  git(base, 'init', '-q', '--bare', '-b', 'main', origin);
  git(work, 'init', '-q', '-b', 'main');
  mkdirSync(join(work, 'scripts'));
  cpSync(join(repoRoot, 'scripts/release-prod'), join(work, 'scripts/release-prod'));
  git(work, 'remote', 'add', 'origin', origin);
  const first = commitOn('first');
  git(work, 'push', '-q', 'origin', 'main');

  test("the first release creates prod at main's head", () => {
    release();
    assert.equal(prodBranch(), first);
  });

  test('a commit that is not on main is refused, and prod stays', () => {
    git(work, 'switch', '-q', '-c', 'unreviewed');
    const unreviewed = commitOn('unreviewed');
    git(work, 'switch', '-q', 'main');
    assert.throws(() => release(unreviewed), /is not on origin\/main/);
    assert.equal(prodBranch(), first);
  });

  test('a later commit of main moves prod forward; moving it back is refused', () => {
    const second = commitOn('second');
    git(work, 'push', '-q', 'origin', 'main');
    assert.equal(prodBranch(), first, 'pushing main does not move prod');
    release(second);
    assert.equal(prodBranch(), second);
    assert.throws(() => release(first), /refusing to move it back/);
    assert.equal(prodBranch(), second);
  });
});
