/**
 * The managed record's owner (format version 2): read and written, version 1 still read, and what the
 * planner and apply make of an owner that is not the node a document means.
 */
import test from 'ava';
import { applyTargets } from '../controller/apply/apply-targets.js';
import { makePlan } from '../controller/plan/make-plan.js';
import { renderServiceDefinition } from './service/definition.js';
import { appliedNode, desired, file, inventory, node, resource } from '../test/support/build-desired.js';
import { parseManagedRecordContent, readManagedRecord, renderManagedRecord } from './managed-record-format.js';
import { recordOwnerFinding } from './managed-record-owner.js';
import { registry } from './registry.js';

const entries = { 'file:/etc/a': { hash: 'h1' } };
const present = (text: string) => ({ state: 'present' as const, text });

test('a version 2 record names its owner; version 1 is still read, with no owner', (t) => {
  const v2 = renderManagedRecord(entries, { site: 'lab', node: 'node1' });
  t.is(v2, '{\n "owner": {\n  "node": "node1",\n  "site": "lab"\n },\n "resources": {\n  "file:/etc/a": {\n   "hash": "h1"\n  }\n },\n "version": 2\n}\n');
  t.deepEqual(parseManagedRecordContent(v2), { resources: entries, owner: { site: 'lab', node: 'node1' } });
  t.deepEqual(parseManagedRecordContent(renderManagedRecord(entries)), { resources: entries });
  t.throws(() => parseManagedRecordContent('{"version":2,"resources":{}}'), { message: /unexpected shape/ }, 'version 2 without its owner');

  t.deepEqual(readManagedRecord(present(v2), { state: 'absent' }), { entries, owner: { site: 'lab', node: 'node1' } });
  t.deepEqual(readManagedRecord(present(renderManagedRecord(entries)), { state: 'absent' }), { entries, owner: 'none' });
  t.like(readManagedRecord(present(''), present(v2)), { entries, owner: { site: 'lab', node: 'node1' }, problem: { code: 'ManagedRecordRestored' } });
  t.deepEqual(readManagedRecord({ state: 'absent' }, present(v2)), { entries: {} }, 'no record: no owner');
});

test('an owner that is another node or another site is a NodeIdentityMismatch saying how to recover; none is adopted', (t) => {
  t.is(recordOwnerFinding('lab', 'node1', { owner: { site: 'lab', node: 'node1' } }), undefined);
  t.is(recordOwnerFinding('lab', 'node1', {}), undefined);
  const sibling = recordOwnerFinding('lab', 'node1', { owner: { site: 'lab', node: 'node2' } });
  t.is(sibling?.code, 'NodeIdentityMismatch');
  t.regex(sibling?.message ?? '', /reached as node node1 of site lab is node node2 of this site.*two Node documents reach one machine/);
  t.regex(sibling?.message ?? '', /set the record's owner to \{"site": "lab", "node": "node1"\}/);
  t.regex(recordOwnerFinding('lab', 'node1', { owner: { site: 'prod', node: 'node1' } })?.message ?? '', /is node node1 of site prod.*another site manages this machine/);
  const adopted = recordOwnerFinding('lab', 'node1', { owner: 'none' });
  t.is(adopted?.code, 'ManagedRecordAdopted');
  t.regex(adopted?.message ?? '', /names no owner.*adopts it as node node1 of site lab/);
});

test('the plan leaves a misidentified node out with a warning and apply refuses it; an adopted record is a note', (t) => {
  const shared = resource(file('/etc/a', 'a\n'));
  const resources = [shared, resource(file('/etc/n1-only', 'b\n'))];
  const wanted = desired([node('n1', resources), node('n2', [shared], { address: '192.0.2.2' })]);
  const runitHash = (s: Parameters<typeof renderServiceDefinition>[0]) => renderServiceDefinition(s, 'runit').hash;
  // n2's address leads to n1's machine: its probe reads n1's record, which lists /etc/n1-only.
  const n1 = { ...appliedNode(resources, runitHash), owner: { site: 'default', node: 'n1' } };
  const observed = inventory({ n1, n2: n1 });
  const plan = makePlan(wanted, observed, { registry });
  t.deepEqual(plan.changes.map((c) => c.id), [], 'nothing of n1 is pruned through n2');
  t.is(plan.warnings?.length, 1);
  t.regex(plan.warnings?.[0] ?? '', /^node n2: NodeIdentityMismatch: the machine reached as node n2 of site default is node n1 of this site/);
  const { nodes } = applyTargets(wanted, observed);
  t.is(nodes.n2?.refused?.code, 'NodeIdentityMismatch');
  t.is(nodes.n1?.refused, undefined);

  const legacySite = desired([node('n1', resources)]);
  const legacyNode = inventory({ n1: { ...appliedNode(resources, runitHash), owner: 'none' } });
  const legacy = makePlan(legacySite, legacyNode, { registry });
  t.deepEqual([legacy.changes, legacy.warnings], [[], ['node n1: ManagedRecordAdopted: /var/lib/underlay/managed.json names no owner (written before underlay recorded one); this apply adopts it as node n1 of site default']]);
  t.true(applyTargets(legacySite, legacyNode).nodes.n1?.rewriteManagedRecord, 'apply writes the owner even with nothing else to do');
});
