// Secrets in git: every SOPS file is encrypted (no plaintext value), follows .sops.yaml, and the dev one decrypts
// with the committed dev-only key; no plaintext Secret or private key is committed anywhere.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { devAgeKeyFile, must, parseDocuments, readText, readYaml, repoRoot, secretValues } from './lib/repo.ts';

type Rule = { path_regex: string; encrypted_regex?: string; age?: string; kms?: string };
const rules = readYaml<{ creation_rules: Rule[] }>('.sops.yaml').creation_rules;
const sopsFiles = ['helm/env/dev/secrets.yaml', 'helm/env/prod/secrets.yaml'];
const devRecipient = must(must(/public key: (age1\w+)/.exec(readText('helm/secrets/dev.agekey')))[1]);

/** Files in git plus the ones this work tree adds (untracked, not ignored): what a commit would contain. */
const repositoryFiles = (): string[] =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: repoRoot,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);

/** Leaves of an object under any key matching `encrypted`, with their paths. */
function encryptedLeaves(value: unknown, encrypted: RegExp, path = '', inside = false): [string, unknown][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => encryptedLeaves(v, encrypted, `${path}[${i}]`, inside));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) =>
      encryptedLeaves(v, encrypted, `${path}.${k}`, inside || encrypted.test(k)),
    );
  }
  return inside ? [[path, value]] : [];
}

describe('SOPS', () => {
  test('.sops.yaml has a rule for every secrets file, and prod never uses the dev key', () => {
    for (const file of sopsFiles)
      assert.ok(
        rules.some((r) => new RegExp(r.path_regex).test(file)),
        file,
      );
    const prod = must(rules.find((r) => new RegExp(r.path_regex).test('helm/env/prod/secrets.yaml')));
    assert.ok(prod.kms, 'prod is encrypted with a KMS key');
    assert.ok(!prod.age?.includes(devRecipient), 'the dev age key must not open prod');
    const dev = must(rules.find((r) => new RegExp(r.path_regex).test('helm/env/dev/secrets.yaml')));
    assert.equal(dev.age, devRecipient);
  });

  for (const file of sopsFiles) {
    test(`${file}: every secret value is encrypted, to the recipients its rule names`, () => {
      const document = parse(readText(file)) as {
        secrets: unknown[];
        sops: { age: { recipient: string }[]; encrypted_regex: string; mac: string };
      };
      const rule = must(rules.find((r) => new RegExp(r.path_regex).test(file)));
      assert.equal(document.sops.encrypted_regex, rule.encrypted_regex);
      assert.match(document.sops.mac, /^ENC\[AES256_GCM,/);
      const leaves = encryptedLeaves(document.secrets, new RegExp(must(rule.encrypted_regex)));
      assert.ok(leaves.length >= 10, 'has secret values');
      for (const [path, value] of leaves)
        assert.match(String(value), /^ENC\[AES256_GCM,data:.+,type:str\]$/, `${path} is encrypted`);
      const recipients = document.sops.age.map((a) => a.recipient);
      for (const recipient of must(rule.age)
        .split(',')
        .map((s) => s.trim()))
        assert.ok(recipients.includes(recipient), `${recipient} can decrypt`);
      assert.deepEqual(
        recipients.filter((r) => !must(rule.age).includes(r)),
        [],
        'no recipient beyond the rule',
      );
    });
  }

  test('dev secrets decrypt with the dev key into the Secrets the charts mount', () => {
    const secrets = (
      parse(secretValues('dev')) as { secrets: { name: string; namespace: string; data: Record<string, string> }[] }
    ).secrets;
    const byName = new Map(secrets.map((s) => [`${s.namespace}/${s.name}`, s.data]));
    assert.match(must(must(byName.get('auth-ns/auth-jwt-signing-key'))['private.pem']), /^-----BEGIN PRIVATE KEY-----/);
    assert.match(
      must(must(byName.get('auth-ns/auth-database'))['url']),
      /^postgresql:\/\/.+@postgres\.data-ns\.svc\.cluster\.local:5432\//,
    );
    assert.match(must(must(byName.get('image-ns/image-database'))['url']), /^postgresql:\/\//);
    assert.ok(must(must(byName.get('image-ns/image-s3'))['secret-access-key']).length >= 20);
    assert.ok(must(must(byName.get('data-ns/postgres-credentials'))['password']).length >= 20);
    assert.ok(must(must(byName.get('data-ns/minio-credentials'))['root-password']).length >= 20);
    // The image service has a MinIO user of its own (helm/charts/minio, provision.yaml), not the root user.
    assert.notEqual(
      must(byName.get('image-ns/image-s3'))['access-key-id'],
      must(byName.get('data-ns/minio-credentials'))['root-user'],
    );
  });

  test('every Secret a chart mounts is provided by the secrets file', () => {
    const provided = new Set(
      (parse(secretValues('dev')) as { secrets: { name: string }[] }).secrets.map((s) => s.name),
    );
    const wanted = [
      'postgres-credentials',
      'minio-credentials',
      'migrate-database',
      'auth-database',
      'auth-jwt-signing-key',
      'image-database',
      'image-s3',
      'minio-image-service',
      'redis-credentials',
      'auth-redis',
      'alertmanager-receivers',
      'prober-account',
    ];
    assert.deepEqual([...provided].sort(), wanted.sort());
  });

  test('the dev key is marked dev-only', () => {
    assert.match(readText('helm/secrets/dev.agekey'), /DEV-ONLY age key/);
    assert.ok(devAgeKeyFile.endsWith('helm/secrets/dev.agekey'));
  });

  test('no plaintext Secret and no private key anywhere in the repository', () => {
    const offenders: string[] = [];
    for (const file of repositoryFiles()) {
      if (file.startsWith('node_modules/') || /\.(png|jpg|gif|ico|woff2?|tgz|gz|zip)$/.test(file)) continue;
      let text: string;
      try {
        text = readFileSync(join(repoRoot, file), 'utf8');
      } catch {
        continue;
      }
      if (file !== 'helm/secrets/dev.agekey' && /AGE-SECRET-KEY-1[0-9A-Z]{58}/.test(text))
        offenders.push(`${file}: age private key`);
      if (/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----\r?\n[A-Za-z0-9+/=]{40,}/.test(text))
        offenders.push(`${file}: PEM private key`);
      if (/\.ya?ml$/.test(file) && /^kind:\s*Secret\s*$/m.test(text) && !file.includes('/templates/')) {
        for (const object of (() => {
          try {
            return parseDocuments(text);
          } catch {
            return [];
          }
        })()) {
          if (object.kind === 'Secret' && (object['data'] || object['stringData']))
            offenders.push(`${file}: plaintext Secret ${object.metadata.name}`);
        }
      }
    }
    assert.deepEqual(offenders, []);
  });
});
