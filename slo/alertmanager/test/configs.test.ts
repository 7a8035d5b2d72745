// The local and production Alertmanager configurations route, group and inhibit alike: the real-Alertmanager
// tests run the local one for grouping and inhibition, so the production one must not drift from it. Only the
// receivers and the pace of notifications (waits and intervals) may differ.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';

interface Route {
  receiver?: string;
  group_by?: string[];
  matchers?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: Route[];
}

interface Config {
  route: Route;
  inhibit_rules: unknown[];
}

const read = (name: string) =>
  parse(readFileSync(new URL(`../alertmanager.${name}.yml`, import.meta.url), 'utf8')) as Config;

/** The tree without its pace. */
function shape({
  group_wait: _wait,
  group_interval: _interval,
  repeat_interval: _repeat,
  routes,
  ...route
}: Route): Route {
  return { ...route, ...(routes === undefined ? {} : { routes: routes.map(shape) }) };
}

test('local and production have the same routing tree, grouping and inhibition; only the pace differs', () => {
  const local = read('local');
  const production = read('production');
  assert.deepEqual(shape(production.route), shape(local.route));
  assert.deepEqual(production.inhibit_rules, local.inhibit_rules);
});
