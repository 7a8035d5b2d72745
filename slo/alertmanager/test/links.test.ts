// The links every notification carries lead somewhere: templates/notifications.tmpl turns each rule's runbook
// annotation into <repository>/<annotation> and each service into its SLO dashboard, <grafana>/d/slo-<service>. So
// every runbook annotation of the generated rules (production and drill) names a section of slo/RUNBOOK.md, and
// every service with SLOs has a dashboard of that uid (slo/dashboards/panels.ts).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { dashboards } from '../../dashboards/panels.ts';

const sloDir = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, sloDir), 'utf8');
const yamlFiles = (folder: string) =>
  readdirSync(new URL(folder, sloDir))
    .filter((file) => file.endsWith('.yml'))
    .map((file) => `${folder}${file}`);

interface RuleFiles {
  groups: { rules: { alert?: string; annotations?: Record<string, string> }[] }[];
}

/** GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to hyphens. */
const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replaceAll(' ', '-');

test('every alert rule links a section of slo/RUNBOOK.md', () => {
  const sections = new Set([...read('RUNBOOK.md').matchAll(/^#+ (.+)$/gm)].map(([, heading]) => anchor(heading ?? '')));
  const alerts = ['rules/', 'rules-drill/'].flatMap(yamlFiles).flatMap((file) =>
    (parse(read(file)) as RuleFiles).groups
      .flatMap((group) => group.rules)
      .filter((rule) => rule.alert !== undefined)
      .map((rule) => ({ file, alert: rule.alert, runbook: rule.annotations?.runbook })),
  );
  assert.ok(alerts.length > 0);
  for (const { file, alert, runbook } of alerts) {
    const [path, section] = (runbook ?? '').split('#');
    assert.equal(path, 'slo/RUNBOOK.md', `${file}: ${String(alert)}: its runbook annotation (${String(runbook)})`);
    assert.ok(sections.has(section ?? ''), `${file}: ${String(alert)}: no section #${String(section)} in RUNBOOK.md`);
  }
});

test('every service with SLOs has the dashboard notifications link (uid slo-<service>)', () => {
  const services = readdirSync(new URL('specs/', sloDir))
    .filter((file) => file.endsWith('.yml'))
    .map((file) => (parse(read(`specs/${file}`)) as { service: string }).service);
  assert.ok(services.length > 0);
  const uids = new Set(dashboards.map((dashboard) => dashboard.uid));
  for (const service of services) assert.ok(uids.has(`slo-${service}`), `no dashboard slo-${service}`);
});
