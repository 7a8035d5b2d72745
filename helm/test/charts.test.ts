// helm lint and template for every chart and environment, and the values schemas doing their job.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { components, environments, readText, render, repoRoot, tool, toolFails, valuesFile } from './lib/repo.ts';

const chartDir = join(repoRoot, 'helm/charts');
const charts = readdirSync(chartDir).sort();
const serviceCharts = ['api', 'auth', 'image'];

describe('helm charts', () => {
  test('every chart directory is deployed by the ApplicationSet, except the library', () => {
    const deployed = components()
      .map((c) => c.component)
      .sort();
    assert.deepEqual(
      charts.filter((c) => c !== 'platform-lib'),
      deployed,
    );
  });

  test('every application chart has a values.schema.json that forbids unknown keys', () => {
    for (const chart of charts.filter((c) => c !== 'platform-lib')) {
      const schema = JSON.parse(readText(`helm/charts/${chart}/values.schema.json`)) as {
        additionalProperties?: boolean;
      };
      assert.equal(
        schema.additionalProperties,
        false,
        `${chart}/values.schema.json must set additionalProperties: false`,
      );
    }
  });

  test('the service charts carry the library canonical values schema unchanged', () => {
    const canonical = readText('helm/charts/platform-lib/service-values.schema.json');
    for (const chart of serviceCharts)
      assert.equal(
        readText(`helm/charts/${chart}/values.schema.json`),
        canonical,
        `${chart}/values.schema.json differs`,
      );
  });

  for (const env of environments) {
    for (const component of components()) {
      test(`${component.component} (${env}): helm lint --strict and template`, () => {
        tool('helm', [
          'lint',
          '--strict',
          `helm/charts/${component.component}`,
          '--namespace',
          component.namespace,
          '--values',
          valuesFile(env, component),
        ]);
        assert.ok(render(env, component).length > 0, 'renders objects');
      });
    }
  }

  test('a misspelt value is refused by the schema', () => {
    const out = toolFails('helm', ['template', 'api', 'helm/charts/api', '--set', 'replcas=3']);
    assert.match(out, /additional properties 'replcas' not allowed/);
  });

  test('an image tag of latest is refused', () => {
    const out = toolFails('helm', ['template', 'api', 'helm/charts/api', '--set', 'image.tag=latest']);
    assert.match(out, /image\.tag|tag/);
  });

  test('the secrets chart refuses a values file that is still encrypted', () => {
    const out = toolFails('helm', [
      'template',
      'secrets',
      'helm/charts/secrets',
      '--values',
      'helm/env/dev/secrets.yaml',
    ]);
    assert.match(out, /still SOPS-encrypted/);
  });
});
