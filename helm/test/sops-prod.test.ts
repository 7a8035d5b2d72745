// prod's secrets open with prod's KMS key or with the offline break-glass age key, and with nothing else: every prod
// secrets file carries a data key encrypted by KMS and one for the break-glass recipient, and the dev key (public by
// design, held by the Argo CD that also manages prod) cannot decrypt them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { devAgeKeyFile, must, readText, readYaml, repoRoot, tool } from './lib/repo.ts';

type Rule = { path_regex: string; kms?: string; age?: string };
type SopsMetadata = {
  kms?: { arn: string; enc: string; created_at: string }[];
  age?: { recipient: string; enc: string }[];
};

const rules = readYaml<{ creation_rules: Rule[] }>('.sops.yaml').creation_rules;
const prodRule = must(
  rules.find((r) => new RegExp(r.path_regex).test('helm/env/prod/secrets.yaml')),
  "prod's creation rule",
);
const breakGlass = must(/^public key: (age1\w+)$/m.exec(readText('helm/secrets/prod-break-glass.pub')))[1];
const devRecipient = must(/public key: (age1\w+)/.exec(readText('helm/secrets/dev.agekey')))[1];
const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Every file in the repository that prod's rule governs: what sops would encrypt to prod's keys. */
const prodFiles = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
  cwd: repoRoot,
  encoding: 'utf8',
})
  .split('\n')
  .filter((file) => file !== '' && rules.find((r) => new RegExp(r.path_regex).test(file)) === prodRule);

describe('prod secrets: KMS plus the offline break-glass key', () => {
  test('the prod rule names one AWS KMS key and exactly the break-glass age recipient, never the dev key', () => {
    assert.deepEqual(
      list(prodRule.kms).map((arn) => /^arn:aws:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/-]+$/.test(arn)),
      [true],
      `one KMS key ARN: ${prodRule.kms}`,
    );
    assert.deepEqual(
      list(prodRule.age),
      [breakGlass],
      'the break-glass public key of helm/secrets/prod-break-glass.pub',
    );
    assert.ok(!list(prodRule.age).includes(must(devRecipient)));
  });

  test('there are prod secrets files to check', () => {
    assert.ok(prodFiles.includes('helm/env/prod/secrets.yaml'), prodFiles.join(', '));
  });

  for (const file of prodFiles) {
    test(`${file}: its data key is encrypted by the KMS key and for the break-glass recipient, nothing else`, () => {
      const sops = must((parse(readText(file)) as { sops?: SopsMetadata }).sops, `${file} is SOPS-encrypted`);
      assert.deepEqual(
        (sops.kms ?? []).map((k) => k.arn),
        list(prodRule.kms),
        'KMS recipients (a file encrypted without KMS access has none)',
      );
      for (const key of sops.kms ?? [])
        assert.match(key.enc, /^[A-Za-z0-9+/]{40,}={0,2}$/, `${key.arn}: an encrypted data key`);
      assert.deepEqual(
        (sops.age ?? []).map((a) => a.recipient),
        [breakGlass],
        'age recipients',
      );
      assert.match(must(sops.age?.[0]).enc, /-----BEGIN AGE ENCRYPTED FILE-----/);
    });

    test(`${file}: the dev key cannot decrypt it`, () => {
      // No KMS reachable (a closed local port, one attempt), so only age keys could open it: the dev key must not.
      const environment = {
        SOPS_AGE_KEY_FILE: devAgeKeyFile,
        AWS_ACCESS_KEY_ID: 'none',
        AWS_SECRET_ACCESS_KEY: 'none',
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9',
        AWS_MAX_ATTEMPTS: '1',
        AWS_EC2_METADATA_DISABLED: 'true',
      };
      assert.throws(
        () => tool('sops', ['decrypt', file], { env: environment }),
        /no master key was able to decrypt the file/,
      );
    });
  }
});
