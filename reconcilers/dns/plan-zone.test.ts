/**
 * How the planner treats a DNS zone: records this site owns are created, updated (saying when by hand) and
 * pruned; a zone that could not be read gets no change at all (external-dns's two failures); records others
 * hold are conflicts, never changed; an upsert-only zone keeps what Git no longer names.
 */
import test from 'ava';
import type { Desired, DesiredServiceResource, DesiredZone } from '../../controller/model/desired.js';
import type { InventoryZone } from '../../controller/model/observed.js';
import { makePlan } from '../../controller/plan/make-plan.js';
import { recordValueMark } from '../../controller/model/record-value-mark.js';
import { desired as desiredOf, inventory as inventoryOf } from '../../test/support/build-desired.js';
import { registry } from '../registry.js';
import type { DesiredDnsRecord } from './kind.js';

const APEX = 'lab.example.net.';
const zoneAt = (policy: DesiredZone['policy'] = 'sync'): DesiredZone => ({ apex: APEX, server: { address: '198.18.0.2', port: 53 }, tsigKeySecret: 'dns-key', policy });

function record(name: string, value: string, type: DesiredDnsRecord['type'] = 'A'): DesiredServiceResource {
  const spec: DesiredDnsRecord = { kind: 'dns', zone: 'lab', name: `${name}.${APEX}`, type, value, ttl: 300 };
  return { key: `dns:lab/${spec.name}/${type}`, target: { name: 'lab', type: 'zone' }, spec, origin: { cluster: 'main', step: 'dns', module: '', location: { file: 'clusters/main.yaml', line: 1, column: 1 } } };
}

function planOf(records: DesiredServiceResource[], zone: InventoryZone, policy?: DesiredZone['policy']) {
  const want: Desired = { ...desiredOf([]), services: records, zones: { lab: zoneAt(policy) } };
  return makePlan(want, { ...inventoryOf({}), zones: { lab: zone } }, { registry });
}

const summary = (p: ReturnType<typeof planOf>) => p.changes.map((c) => `${c.action} ${c.key}: ${c.reason}`);

test('owned records are created, updated and pruned; an update says when the value was edited outside underlay', (t) => {
  const plan = planOf([record('n1', '198.18.0.11'), record('n2', '198.18.0.12'), record('n3', '198.18.0.13')], {
    records: { [`n2.${APEX}/A`]: '198.18.0.99', [`n3.${APEX}/A`]: '198.18.0.10', [`gone.${APEX}/A`]: '198.18.0.50' },
    editedOutside: [`n2.${APEX}/A`],
  });
  t.deepEqual(summary(plan), [
    `delete dns:lab/gone.${APEX}/A: no longer in Git: remove record (198.18.0.50)`,
    `create dns:lab/n1.${APEX}/A: record n1.${APEX} A 198.18.0.11 does not exist`,
    `update dns:lab/n2.${APEX}/A: value 198.18.0.99 -> 198.18.0.12, edited outside underlay`,
    `update dns:lab/n3.${APEX}/A: value 198.18.0.10 -> 198.18.0.13`,
  ]);
  t.deepEqual(plan.warnings, []);
});

test('drift: a record Git wants as underlay wrote it, edited or deleted by hand, is marked; one Git changed is not', (t) => {
  const plan = planOf([record('n1', '198.18.0.11'), record('n2', '198.18.0.12'), record('n3', '198.18.0.33')], {
    records: { [`n2.${APEX}/A`]: '198.18.0.99', [`n3.${APEX}/A`]: '198.18.0.98' },
    editedOutside: [`n2.${APEX}/A`, `n3.${APEX}/A`],
    // n1 deleted by hand; n2 edited by hand; n3 edited by hand while Git changed it too (it wrote .13).
    writtenMarks: { [`n1.${APEX}/A`]: recordValueMark('198.18.0.11'), [`n2.${APEX}/A`]: recordValueMark('198.18.0.12'), [`n3.${APEX}/A`]: recordValueMark('198.18.0.13') },
  });
  t.deepEqual(
    plan.changes.map((c) => [c.action, c.key, c.reason, c.drift ?? false]),
    [
      ['create', `dns:lab/n1.${APEX}/A`, `record n1.${APEX} A 198.18.0.11 does not exist, deleted outside underlay`, true],
      ['update', `dns:lab/n2.${APEX}/A`, 'value 198.18.0.99 -> 198.18.0.12, edited outside underlay', true],
      ['update', `dns:lab/n3.${APEX}/A`, 'value 198.18.0.98 -> 198.18.0.33, edited outside underlay', false],
    ],
  );
});

test('a zone that could not be read plans no create and no delete, and says so', (t) => {
  const plan = planOf([record('n1', '198.18.0.11')], { records: {}, unreadable: { code: 'DnsZoneReadFailed', message: 'zone transfer of lab.example.net from 198.18.0.2:53 failed: the server answered REFUSED' } });
  t.deepEqual(plan.changes, []);
  t.deepEqual(plan.warnings, ['zone lab could not be read (DnsZoneReadFailed: zone transfer of lab.example.net from 198.18.0.2:53 failed: the server answered REFUSED): no changes planned for it']);
});

test('a record someone else holds at a name Git wants is a conflict line, never a change', (t) => {
  const plan = planOf([record('www', '198.18.0.20'), record('api', '198.18.0.21')], {
    records: {},
    heldElsewhere: { [`www.${APEX}/A`]: 'not managed by underlay', [`api.${APEX}/A`]: 'owned by site other' },
  });
  t.deepEqual(plan.changes, []);
  t.deepEqual(plan.warnings, [
    `zone:lab: conflict: dns:lab/api.${APEX}/A is wanted by Git but owned by site other: left untouched`,
    `zone:lab: conflict: dns:lab/www.${APEX}/A is wanted by Git but not managed by underlay: left untouched`,
  ]);
});

test('an upsert-only zone writes what Git wants and keeps what it no longer names', (t) => {
  const zone = { records: { [`gone.${APEX}/A`]: '198.18.0.50', [`n1.${APEX}/A`]: '198.18.0.1' } };
  const plan = planOf([record('n1', '198.18.0.11')], zone, 'upsert-only');
  t.deepEqual(summary(plan), [`update dns:lab/n1.${APEX}/A: value 198.18.0.1 -> 198.18.0.11`]);
  t.deepEqual(plan.warnings, ['zone lab is upsert-only: 1 record(s) no longer in Git are kept']);
  t.deepEqual(summary(planOf([record('n1', '198.18.0.11')], zone, 'sync'))[0], `delete dns:lab/gone.${APEX}/A: no longer in Git: remove record (198.18.0.50)`);
});
