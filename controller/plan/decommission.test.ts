/**
 * Decommissioning through the pure pipeline (resolve + plan): the node leaves its clusters, the staying
 * members change first, what underlay manages on it is removed after, and the plan says when its document can go.
 */
import test from 'ava';
import { resolveSite } from '../resolve/resolve-site.js';
import { makePlan } from './make-plan.js';
import { renderText } from './render-text.js';
import type { Desired } from '../model/desired.js';
import { registry } from '../../reconcilers/registry.js';
import { inventory } from '../../test/support/build-desired.js';
import { convergedInventory } from '../../test/support/converged-inventory.js';
import { clusterDoc, doc, moduleDoc, node, testSpec } from '../../test/support/build-spec.js';

const peersModule = moduleDoc('peers', {
  inputs: { peers: { type: 'list' } },
  resources: [
    { file: { path: '/etc/peers', content: '{{ inputs.peers | join: "," }}' } },
    { service: { name: 'member', command: '/usr/local/bin/member', args: ['--peers-file', '/etc/peers'], restartOnChangeOf: ['file:/etc/peers'] } },
  ],
});
const etcd = clusterDoc('etcd', { nodes: { roles: ['etcd'] }, dns: { zone: 'lab' }, steps: [{ name: 'm', module: 'peers', with: { peers: { nodes: { roles: ['etcd'] }, fact: 'address' } } }] });
const zone = doc('DNSZone', 'lab', { zone: 'lab.example.net', server: { address: '198.18.0.53' }, tsigKeySecret: 'lab-tsig' });

function resolved(decommission: boolean): Desired {
  const n3 = node('n3', '10.0.0.3', { roles: ['etcd'] });
  if (decommission) (n3 as { spec: Record<string, unknown> }).spec.decommission = true;
  const r = resolveSite(testSpec([node('n1', '10.0.0.1', { roles: ['etcd'] }), node('n2', '10.0.0.2', { roles: ['etcd'] }), n3, peersModule, etcd, zone]), {}, {});
  if (!r.desired) throw new Error(JSON.stringify(r.diagnostics));
  return r.desired;
}

test('a decommissioned node leaves its clusters: the others drop it, and it is dismantled after their changes', (t) => {
  const before = resolved(false);
  const after = resolved(true);
  t.deepEqual(after.clusters[0]?.nodes, ['n1', 'n2']);
  t.deepEqual(after.nodes.find((n) => n.name === 'n3')?.decommission, { leaving: ['etcd'] });
  t.deepEqual(after.nodes.find((n) => n.name === 'n3')?.resources, []);

  const plan = makePlan(after, convergedInventory(before), { registry });
  const ids = plan.changes.map((c) => `${c.id} ${c.action}`);
  t.true(ids.includes('n1/file:/etc/peers update'), ids.join('\n'));
  t.true(ids.includes('n3/service:member delete'));
  t.true(ids.includes('n3/file:/etc/peers delete'));
  t.true(ids.includes('zone:lab/dns:lab/n3.lab.example.net./A delete'), 'its DNS record goes');
  const staying = plan.changes.filter((c) => c.target.type === 'node' && c.target.name !== 'n3').map((c) => c.id);
  t.true(staying.length >= 4);
  for (const c of plan.changes.filter((c) => c.target.name === 'n3')) {
    for (const id of staying) t.true(c.dependsOn.includes(id), `${c.id} waits for ${id}`);
  }
  t.deepEqual(plan.decommissioned, [{ node: 'n3', leaving: ['etcd'], remainingChanges: 2, deletable: false }]);
  t.regex(renderText(plan, { registry, color: false }), /Decommission: node n3 is decommissioned \(leaves etcd\): 2 change\(s\) dismantle it/);
});

test('once nothing of underlay\'s is left on an observed decommissioned node, the plan says its document can be deleted', (t) => {
  const after = resolved(true);
  const done = convergedInventory(after);
  const plan = makePlan(after, done, { registry });
  t.deepEqual(plan.changes, []);
  t.deepEqual(plan.decommissioned, [{ node: 'n3', leaving: ['etcd'], remainingChanges: 0, deletable: true }]);
  t.regex(renderText(plan, { registry, color: false }), /its Node document can be deleted/);

  const unobserved = makePlan(after, inventory({}), { registry });
  t.false(unobserved.decommissioned?.[0]?.deletable, 'a node nobody looked at may still hold what underlay made');
});

test('plans of sites without decommissioned nodes carry no decommission field (their JSON is unchanged)', (t) => {
  const before = resolved(false);
  t.false('decommissioned' in makePlan(before, convergedInventory(before), { registry }));
});
