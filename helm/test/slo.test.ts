// The slo chart publishes what slo/ generates (read through the chart's files -> ../../../slo symlink, never copied).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { must, readText, renderEnvironment, repoRoot } from './lib/repo.ts';

const objects = renderEnvironment('dev').filter((o) => o.metadata.namespace === 'monitoring-ns');

test('every rules file in slo/rules becomes a PrometheusRule with the same groups', () => {
  const files = readdirSync(join(repoRoot, 'slo/rules')).filter((f) => f.endsWith('.yml'));
  assert.ok(files.length > 0);
  for (const file of files) {
    const rule = must(
      objects.find((o) => o.kind === 'PrometheusRule' && o.metadata.name === `slo-${file.replace(/\.yml$/, '')}`),
      `PrometheusRule for ${file}`,
    );
    const expected = (parse(readText(`slo/rules/${file}`)) as { groups: unknown[] }).groups;
    assert.deepEqual((rule['spec'] as { groups: unknown[] }).groups, expected);
  }
});

test('Alertmanager runs the production configuration from slo/alertmanager, byte for byte', () => {
  const secret = must(objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'alertmanager-platform'));
  const config = Buffer.from(must((secret['data'] as Record<string, string>)['alertmanager.yaml']), 'base64').toString(
    'utf8',
  );
  assert.equal(config, readText('slo/alertmanager/alertmanager.production.yml'));
});

test('the notification templates of slo/alertmanager/templates ride in the same Secret, where the configuration loads them', () => {
  const secret = must(objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'alertmanager-platform'));
  const data = secret['data'] as Record<string, string>;
  const templates = readdirSync(join(repoRoot, 'slo/alertmanager/templates')).filter((f) => f.endsWith('.tmpl'));
  assert.ok(templates.length > 0);
  assert.deepEqual(Object.keys(data).sort(), ['alertmanager.yaml', ...templates].sort());
  for (const file of templates)
    assert.equal(
      Buffer.from(must(data[file]), 'base64').toString('utf8'),
      readText(`slo/alertmanager/templates/${file}`),
      `${file}, byte for byte`,
    );
  // The operator mounts the Secret's further keys in /etc/alertmanager/config/ (alertmanagerSpec.configSecret).
  const config = parse(readText('slo/alertmanager/alertmanager.production.yml')) as { templates?: string[] };
  assert.deepEqual(config.templates, ['/etc/alertmanager/config/*.tmpl']);
});

test('the receivers read credentials from files that the receivers Secret provides', () => {
  const config = readText('slo/alertmanager/alertmanager.production.yml');
  const files = [...config.matchAll(/_file: \/etc\/alertmanager\/secrets\/([-\w]+)/g)].map((m) => must(m[1]));
  assert.ok(files.length > 0);
  const receivers = must(objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'alertmanager-receivers'));
  for (const file of new Set(files))
    assert.ok(file in (receivers['stringData'] as Record<string, string>), `${file} provided`);
  assert.match(
    readText('helm/addons/kube-prometheus-stack.values.yaml'),
    /configSecret: alertmanager-platform[\s\S]*secretName: alertmanager-receivers[\s\S]*mountPath: \/etc\/alertmanager\/secrets/,
  );
});
