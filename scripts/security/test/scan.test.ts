// scripts/security/scan.sh catches what it is meant to catch: secrets planted in a scratch clone of this
// repository (in a commit, and in the working tree) fail the secret scan, while the clean clone, with its
// deliberate dev-only age key, passes; npm audit findings fail the stage and an unreachable audit service
// is reported loudly without failing it (npm is replaced by a stub that answers like the registry would).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const repoRoot = resolve(import.meta.dirname, '../../..');
const scan = join(repoRoot, 'scripts/security/scan.sh');
const scratch = mkdtempSync(join(tmpdir(), 'security-scan-'));
const clone = join(scratch, 'repo');

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
const git = (...args: string[]) => {
  const result = run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], { cwd: clone });
  assert.equal(result.status, 0, result.output);
};
const scanSecrets = () => run('bash', [scan, 'secrets', clone]);

/** An AWS access key id in the real format, made up at run time so no key is ever written in this file. */
function fakeAwsKeyId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return `AKIA${Array.from({ length: 16 }, () => alphabet[randomInt(alphabet.length)]).join('')}`;
}
const fakePrivateKey = () =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

before(() => {
  // A clone has the history and the tracked files; add this work tree's uncommitted files too, so the
  // baseline is exactly what the next commit would scan.
  const result = run('git', ['clone', '--quiet', '--no-local', repoRoot, clone]);
  assert.equal(result.status, 0, result.output);
  const copyPending = `git ls-files -z --modified --others --exclude-standard | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\\0' "$f"; done | xargs -0 --no-run-if-empty cp --parents -t '${clone}'`;
  const pending = run('bash', ['-c', copyPending]);
  assert.equal(pending.status, 0, pending.output);
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('secret scan (gitleaks)', () => {
  it('passes on the repository as it is (the dev-only age key and placeholders are allowlisted)', () => {
    const result = scanSecrets();
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /no leaks found/);
  });

  it('fails on a private key in the working tree, even an untracked file', () => {
    writeFileSync(join(clone, 'services-key.pem'), fakePrivateKey());
    const result = scanSecrets();
    assert.equal(result.status, 1, result.output);
    assert.match(result.output, /RuleID:\s+private-key/);
    assert.match(result.output, /secrets in the working tree/);
    rmSync(join(clone, 'services-key.pem'));
  });

  it('fails on an AWS key committed to the history, even after it was deleted again', () => {
    mkdirSync(join(clone, 'config'), { recursive: true });
    writeFileSync(join(clone, 'config/aws.env'), `AWS_ACCESS_KEY_ID=${fakeAwsKeyId()}\n`);
    git('add', 'config/aws.env');
    git('commit', '--quiet', '-m', 'add credentials');
    git('rm', '--quiet', 'config/aws.env');
    git('commit', '--quiet', '-m', 'remove credentials');
    const result = scanSecrets();
    assert.equal(result.status, 1, result.output);
    assert.match(result.output, /RuleID:\s+aws-access-token/);
    assert.match(result.output, /secrets in the git history/);
    assert.doesNotMatch(result.output, /AKIA[A-Z2-7]{16}/, 'findings are redacted');
  });
});

describe('secret scan allowlist', () => {
  it('covers the dev age key only at its own path', () => {
    const fresh = join(scratch, 'allowlist');
    assert.equal(run('git', ['init', '--quiet', fresh]).status, 0);
    // An age key elsewhere (generated from random bytes, in age's bech32 alphabet) is a finding.
    const bech32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
    const ageKey =
      `AGE-SECRET-KEY-1${Array.from({ length: 58 }, () => bech32[randomInt(bech32.length)]).join('')}`.toUpperCase();
    writeFileSync(join(fresh, 'key.txt'), `${ageKey}\n`);
    const result = run('bash', [scan, 'secrets', fresh]);
    assert.equal(result.status, 1, result.output);
    assert.match(result.output, /RuleID:\s+age-secret-key/);
  });
});

describe('npm audit step', () => {
  /** Runs the audit step with `npm` replaced by a stub printing `output` and exiting with `status`. */
  function auditWith(stub: { audit: [string, number]; signatures: [string, number] }, env: NodeJS.ProcessEnv = {}) {
    const bin = mkdtempSync(join(scratch, 'bin-'));
    const script = (kind: 'audit' | 'signatures') =>
      `printf '%s\\n' ${JSON.stringify(stub[kind][0])}; exit ${stub[kind][1]}`;
    writeFileSync(
      join(bin, 'npm'),
      `#!/usr/bin/env bash\nif [ "$2" = signatures ]; then ${script('signatures')}; else ${script('audit')}; fi\n`,
    );
    chmodSync(join(bin, 'npm'), 0o755);
    return run('bash', [scan, 'audit'], { env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, ...env } });
  }
  const clean = JSON.stringify({
    vulnerabilities: {},
    metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0 } },
  });
  const signed = 'audited 12 packages in 1s\n12 packages have verified registry signatures';
  const unreachable = JSON.stringify({
    message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    statusCode: 405,
  });

  it('passes when there is no high or critical advisory and every signature verifies', () => {
    const result = auditWith({ audit: [clean, 0], signatures: [signed, 0] });
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /security checks passed$/m);
  });

  it('fails on a high advisory in a production dependency, naming it', () => {
    const report = JSON.stringify({
      vulnerabilities: {
        'left-pad': {
          severity: 'high',
          range: '<1.3.1',
          fixAvailable: true,
          via: [{ title: 'Prototype pollution', url: 'https://github.com/advisories/GHSA-test' }],
        },
        chalk: {
          severity: 'low',
          range: '*',
          fixAvailable: false,
          via: [{ title: 'minor', url: 'https://example.invalid' }],
        },
      },
      metadata: { vulnerabilities: { info: 0, low: 1, moderate: 0, high: 1, critical: 0, total: 2 } },
    });
    const result = auditWith({ audit: [report, 1], signatures: [signed, 0] });
    assert.equal(result.status, 1, result.output);
    assert.match(result.output, /high\s+left-pad <1\.3\.1: Prototype pollution/);
    assert.doesNotMatch(result.output, /chalk/);
    assert.match(result.output, /SECURITY FAILED: npm audit: high or critical advisories/);
  });

  it('fails on an invalid registry signature', () => {
    const result = auditWith({
      audit: [clean, 0],
      signatures: [
        'audited 12 packages\n1 package has an invalid registry signature:\n\nleft-pad@1.3.0 (https://registry.npmjs.org/)',
        1,
      ],
    });
    assert.equal(result.status, 1, result.output);
    assert.match(
      result.output,
      /SECURITY FAILED: npm audit signatures: packages with invalid or missing registry signatures/,
    );
  });

  it('says loudly that it could not run when the audit service is unreachable, without failing', () => {
    const offline =
      'npm error network request to https://tuf-repo-cdn.sigstore.dev/15.root.json failed, reason: getaddrinfo ENOTFOUND tuf-repo-cdn.sigstore.dev';
    const result = auditWith({ audit: [unreachable, 1], signatures: [offline, 1] });
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /SECURITY CHECK NOT RUN: npm audit could not run on this machine/);
    assert.match(result.output, /405 Method Not Allowed - POST https:\/\/registry\.npmjs\.org/);
    assert.match(result.output, /SECURITY CHECK NOT RUN: npm audit signatures could not run/);
    assert.match(result.output, /NOT RUN on this machine \(see above\): npm audit; npm audit signatures;/);
  });

  it('fails for an unreachable service when SECURITY_REQUIRE_AUDIT=1', () => {
    const result = auditWith({ audit: [unreachable, 1], signatures: [signed, 0] }, { SECURITY_REQUIRE_AUDIT: '1' });
    assert.equal(result.status, 1, result.output);
    assert.match(result.output, /npm audit could not run \(SECURITY_REQUIRE_AUDIT=1\)/);
  });
});
