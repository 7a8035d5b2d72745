// The Tiltfile against the real API server. Tilt cannot be obtained here, so the Tiltfile is evaluated the
// way the static suite does (../lib/tiltfile.ts), and every chart it deploys is rendered exactly as its
// helm() call asks (values and --set, live update on) and sent to the cluster as a server-side dry run.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseDocuments, repoRoot, secretValues, tool } from '../lib/repo.ts';
import { evaluateTiltfile } from '../lib/tiltfile.ts';
import { asNew, dryRun } from './support.ts';

interface HelmCall {
  path: string;
  name: string;
  namespace: string;
  values: string[];
  set: string[];
}

describe('the Tiltfile, against the real API server', () => {
  const helmCalls = evaluateTiltfile({}).filter((call) => call.kind === 'helm') as unknown as HelmCall[];
  // The Tiltfile decrypts the dev secrets into .dev/tilt/secrets.yaml with sops; here they are decrypted the same way.
  const decrypted = join(mkdtempSync(join(tmpdir(), 'tilt-secrets-')), 'secrets.yaml');
  writeFileSync(decrypted, secretValues('dev'), { mode: 0o600 });

  test('deploys charts', () => {
    assert.ok(helmCalls.length >= 10, `only ${helmCalls.length} helm() calls`);
  });

  for (const call of helmCalls) {
    test(`${call.name}: what Tilt would apply is accepted by the API server`, async () => {
      const values = call.values.flatMap((file) => [
        '--values',
        file.startsWith('.dev/tilt/') ? decrypted : join(repoRoot, file),
      ]);
      const objects = parseDocuments(
        tool('helm', [
          'template',
          call.name,
          join(repoRoot, call.path),
          '--namespace',
          call.namespace,
          ...values,
          ...call.set.flatMap((s) => ['--set', s]),
        ]),
      );
      const output = await dryRun(objects.map(asNew));
      assert.equal(output.trim().split('\n').length, objects.length, output);
    });
  }
});
