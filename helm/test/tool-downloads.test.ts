// What Argo CD's repo server downloads when it starts (argocd/bootstrap/argocd-values.yaml) is pinned by sha256 and
// checked before use: every URL comes with its checksum, and the init script refuses a file that does not match.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readYaml } from './lib/repo.ts';

type InitContainer = { name: string; env?: { name: string; value: string }[]; args?: string[]; command?: string[] };
const values = readYaml<{ repoServer: { initContainers?: InitContainer[] } }>('argocd/bootstrap/argocd-values.yaml');
const initContainers = values.repoServer.initContainers ?? [];
const url = /https?:\/\/\S+/;

describe("Argo CD repo server's tool downloads", () => {
  test('there are downloads to check (the init container exists)', () => {
    assert.ok(initContainers.some((c) => (c.args ?? []).join('\n').includes('wget')));
  });

  for (const container of initContainers) {
    const script = (container.args ?? []).join('\n');
    const variables = new Map((container.env ?? []).map((e) => [e.name, e.value]));

    test(`${container.name}: every URL is a <NAME>_URL variable with a <NAME>_SHA256 beside it`, () => {
      assert.doesNotMatch(script, url, 'no URL written into the script itself');
      const urls = [...variables].filter(([, value]) => url.test(value));
      assert.ok(urls.length > 0, 'downloads something');
      for (const [name] of urls) {
        assert.match(name, /_URL$/, `${name} names a URL`);
        assert.match(variables.get(name.replace(/_URL$/, '_SHA256')) ?? '', /^[0-9a-f]{64}$/, `${name}'s sha256`);
      }
    });

    test(`${container.name}: each download is written to a file and checked before it is moved, unpacked or run`, () => {
      const lines = script.split('\n');
      const downloads = lines.filter((l) => /\b(wget|curl)\b/.test(l));
      for (const line of downloads) {
        assert.doesNotMatch(line, /\|/, `nothing piped straight from a download: ${line}`);
        const file = /-q?O\s+(\S+)/.exec(line)?.[1];
        assert.ok(file && file !== '-', `writes to a file: ${line}`);
        const checked = lines.findIndex((l) => l.includes('sha256sum -c') && l.includes(file));
        assert.ok(checked > lines.indexOf(line), `${file} is checked with sha256sum -c`);
        const used = lines.findIndex((l, i) => i > lines.indexOf(line) && i !== checked && l.includes(file));
        assert.ok(used === -1 || used > checked, `${file} is used only after its check`);
      }
    });

    test(`${container.name}: run for real, a download whose sha256 differs leaves no tool behind`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'tool-downloads-'));
      const tools = join(dir, 'custom-tools');
      execFileSync('mkdir', ['-p', tools, join(dir, 'bin')]);
      // A stand-in wget that "downloads" known bytes: the script's own checks decide what happens to them.
      const content = 'not the real sops\n';
      writeFileSync(
        join(dir, 'bin/wget'),
        `#!/bin/sh\nwhile [ "$1" != "-qO" ]; do shift; done\nprintf '${content.replace('\n', '\\n')}' > "$2"\n`,
        {
          mode: 0o755,
        },
      );
      const run = (overrides: Record<string, string>) =>
        execFileSync('sh', ['-ec', script.replaceAll('/custom-tools', tools)], {
          env: { PATH: `${join(dir, 'bin')}:${process.env['PATH']}`, ...Object.fromEntries(variables), ...overrides },
          stdio: 'pipe',
        });
      const shaNames = [...variables.keys()].filter((n) => n.endsWith('_SHA256'));

      assert.throws(() => run({}), 'the pinned checksums do not match the stand-in bytes');
      assert.ok(!existsSync(join(tools, 'sops')), 'no sops installed from a mismatching download');

      const actual = createHash('sha256').update(content).digest('hex');
      run(Object.fromEntries(shaNames.map((n) => [n, actual])));
      assert.ok(statSync(join(tools, 'sops')).mode & 0o100, 'a matching download is installed, executable');
    });
  }
});
