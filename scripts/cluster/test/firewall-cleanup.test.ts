// What the cluster's teardown removes from the firewall: exactly what Kubernetes and CNI added, whatever
// other software (podman, Docker) added meanwhile.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { firewallCleanup, type NftObject } from '../host.ts';

const table = (family: string, name: string): NftObject => ({ table: { family, name } });
const chain = (name: string, tableName = 'filter'): NftObject => ({ chain: { family: 'ip', table: tableName, name } });
let handle = 0;
const rule = (chainName: string, expr: unknown, tableName = 'filter'): NftObject => ({
  rule: { family: 'ip', table: tableName, chain: chainName, handle: (handle += 1), expr },
});
const jump = (target: string) => [{ jump: { target } }];
const accept = [{ accept: null }];

const before: NftObject[] = [table('ip', 'filter'), chain('INPUT'), chain('FORWARD'), rule('FORWARD', accept)];

describe('firewall cleanup', () => {
  test('removes the chains Kubernetes added, the rules jumping to them, and the tables it created', () => {
    const jumpToKube = rule('FORWARD', jump('KUBE-FORWARD'));
    const current = [
      ...before,
      chain('KUBE-FORWARD'),
      jumpToKube,
      rule('KUBE-FORWARD', accept),
      table('ip', 'mangle'),
      chain('KUBE-IPTABLES-HINT', 'mangle'),
    ];
    assert.deepEqual(firewallCleanup(before, current), [
      ['delete', 'rule', 'ip', 'filter', 'FORWARD', 'handle', String(jumpToKube.rule?.handle)],
      ['flush', 'chain', 'ip', 'filter', 'KUBE-FORWARD'],
      ['delete', 'chain', 'ip', 'filter', 'KUBE-FORWARD'],
      ['delete', 'table', 'ip', 'mangle'],
    ]);
  });

  test("leaves other software's chains and rules alone, even in the tables the cluster uses", () => {
    const current = [
      ...before,
      chain('NETAVARK_FORWARD'),
      rule('FORWARD', jump('NETAVARK_FORWARD')),
      rule('NETAVARK_FORWARD', accept),
      rule('FORWARD', accept),
    ];
    assert.deepEqual(firewallCleanup(before, current), []);
  });

  test('a rule the cluster added that equals one already there is removed once, keeping the original', () => {
    const original = {
      rule: { family: 'ip', table: 'filter', chain: 'FORWARD', handle: 90, expr: jump('KUBE-FIREWALL') },
    };
    const added = { rule: { ...original.rule, handle: 91 } };
    assert.deepEqual(
      firewallCleanup(
        [...before, chain('KUBE-FIREWALL'), original],
        [...before, chain('KUBE-FIREWALL'), original, added],
      ),
      [['delete', 'rule', 'ip', 'filter', 'FORWARD', 'handle', '91']],
    );
  });

  test('nothing to do when nothing changed', () => {
    assert.deepEqual(firewallCleanup(before, before), []);
  });
});
