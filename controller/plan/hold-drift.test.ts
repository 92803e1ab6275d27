/** What a reconcile leaves to the drift policy: drift and what only it triggers, unless Git's work needs it. */
import test from 'ava';
import { DEFAULT_ROLLOUT_POLICY } from '../spec/rollout-policy.js';
import { emptyInventory } from '../model/observed.js';
import { change, testPlan } from '../../test/support/fake-apply.js';
import type { Change } from '../model/change.js';
import type { Plan } from '../model/plan.js';
import { makePlan, planHash } from './make-plan.js';
import { registry } from '../../reconcilers/registry.js';
import { appliedNode, desired, inventory, node, resource } from '../../test/support/build-desired.js';
import { holdDrift } from './hold-drift.js';
import type { DesiredCertificate } from '../../reconcilers/certificate/schema.js';

const on = (n: string, key: string, over: Partial<Change> = {}): Change => change(`${n}/${key}`, { action: 'update', cluster: 'web', ...over });
const restart = (n: string, causes: string[], over: Partial<Change> = {}) =>
  on(n, 'service:web#restart', { action: 'restart', reason: `${causes.join(', ')} changed`, dependsOn: causes.map((k) => `${n}/${k}`), disruptive: true, ...over });
const planOf = (changes: Change[]): Plan => testPlan(changes, [{ cluster: 'web', batches: [['n1'], ['n2']], failureBudget: 0 }]);
const site = { clusters: [{ name: 'web', nodes: ['n1', 'n2'], rollout: DEFAULT_ROLLOUT_POLICY }], nodes: [], inventory: emptyInventory() };
const ids = (changes: readonly Change[]) => changes.map((c) => c.id);

test('a plan without drift is applied as it is', (t) => {
  const plan = planOf([on('n1', 'file:/etc/web.conf'), restart('n1', ['file:/etc/web.conf'])]);
  const { plan: kept, held } = holdDrift(plan, site);
  t.is(kept, plan);
  t.deepEqual(held, []);
});

test('drift and the restart only it triggers are held; what Git asks for is applied, batched again', (t) => {
  const plan = planOf([
    on('n1', 'file:/etc/web.conf', { drift: true }),
    restart('n1', ['file:/etc/web.conf'], { drift: true }),
    on('n2', 'file:/etc/web.conf'),
    restart('n2', ['file:/etc/web.conf']),
  ]);
  const { plan: kept, held } = holdDrift(plan, site);
  t.deepEqual(ids(held), ['n1/file:/etc/web.conf', 'n1/service:web#restart']);
  t.deepEqual(ids(kept.changes), ['n2/file:/etc/web.conf', 'n2/service:web#restart']);
  t.deepEqual(kept.rollout.map((r) => r.batches.map((b) => b.nodes)), [[['n2']]], 'n1 is not disturbed');
  t.like(kept.summary, { update: 1, restart: 1 });
  t.is(kept.hash, planHash(kept));
  t.not(kept.hash, plan.hash);
});

test('a drift change that a change of Git waits for is applied with it, and so is what it triggers', (t) => {
  const plan = planOf([
    on('n1', 'directory:/etc/web', { action: 'create', drift: true }),
    on('n1', 'file:/etc/web/new.conf', { action: 'create', dependsOn: ['n1/directory:/etc/web'] }),
    on('n1', 'file:/etc/motd', { drift: true }),
  ]);
  const { plan: kept, held } = holdDrift(plan, site);
  t.deepEqual(ids(held), ['n1/file:/etc/motd']);
  t.deepEqual(ids(kept.changes), ['n1/directory:/etc/web', 'n1/file:/etc/web/new.conf']);
  t.deepEqual(kept.changes[1]?.dependsOn, ['n1/directory:/etc/web'], 'the edge stays: both are applied');
});

test('a held re-run goes once something it waits for goes, and takes along its drifted input and its restart', (t) => {
  const plan = planOf([
    on('n1', 'file:/etc/a', { drift: true }),
    on('n1', 'command:render', { action: 'run', reason: 'file:/etc/a changed', dependsOn: ['n1/file:/etc/a'], drift: true }),
    restart('n1', ['command:render'], { drift: true }),
    on('n1', 'package:web', {}),
    on('n1', 'file:/etc/b', { drift: true, dependsOn: ['n1/package:web'] }),
  ]);
  // Only the untriggered drift stays held: nothing it waits for changes its nature.
  t.deepEqual(ids(holdDrift(plan, site).held), ['n1/command:render', 'n1/file:/etc/a', 'n1/file:/etc/b', 'n1/service:web#restart']);
  const released = planOf(plan.changes.filter((c) => c.id !== 'n1/file:/etc/b').map((c) => (c.id === 'n1/command:render' ? { ...c, dependsOn: [...c.dependsOn, 'n1/package:web'] } : c)));
  // The package's change re-runs render, which must read a as Git has it: a is put back first.
  const { plan: kept, held } = holdDrift(released, site);
  t.deepEqual(ids(held), []);
  t.deepEqual(ids(kept.changes), ['n1/command:render', 'n1/file:/etc/a', 'n1/package:web', 'n1/service:web#restart']);
});

test('planned from a node inventory: a certificate due for renewal is applied, a key swapped by hand on the node is held', (t) => {
  const CA_PEM = '-----BEGIN CERTIFICATE-----\nnot read by this test\n-----END CERTIFICATE-----\n';
  const spec: DesiredCertificate = {
    kind: 'certificate', name: 'etcd-peer', ca: 'site-ca', commonName: 'n1', dnsNames: ['n1'], ipAddresses: [], usages: ['peer'], keyPath: '/etc/etcd/peer.key', certPath: '/etc/etcd/peer.crt',
    owner: 'root', group: 'root', mode: '0644', keyType: 'ecdsa-p256', validityDays: 30, rotationPolicy: 'Always',
    issuance: { authority: { name: 'site-ca', certificate: CA_PEM, keySecret: 'k' }, policy: { maxValidityDays: 90, keyTypes: ['ecdsa-p256'], usages: ['server', 'client'] }, entitlement: { node: 'n1', dnsNames: ['n1'], ipAddresses: [] } },
  };
  const cert = resource(spec);
  const applied = appliedNode([cert], () => '');
  const key = 'b'.repeat(64);
  const seen = { kind: 'certificate', name: 'etcd-peer', exists: true, serial: '4a01', notBefore: '2025-01-01T00:00:00.000Z', notAfter: '2025-01-31T00:00:00.000Z', commonName: 'n1', dnsNames: ['n1'], ipAddresses: [], issuer: 'CN=site CA', keyType: 'ecdsa-p256', usages: ['client', 'server'], keyFingerprint: key, fingerprint: 'c'.repeat(64), nodeKeyFingerprint: key, mode: '0644', owner: 'root', group: 'root' };
  const planAt = (observed: Record<string, unknown>, now: string) => {
    const inv = inventory({ n1: { ...applied, resources: { [cert.key]: observed as never } } });
    const d = desired([node('n1', [cert])]);
    return holdDrift(makePlan(d, inv, { registry, now }), { ...d, inventory: inv });
  };
  t.is(planAt(seen, '2025-01-10T00:00:00Z').plan.changes.length, 0, 'nothing due yet');
  const renewal = planAt(seen, '2025-01-22T00:00:00Z');
  t.deepEqual([renewal.plan.changes.map((c) => c.reason), renewal.held], [['renew: expires in 9 days'], []]);
  const swapped = planAt({ ...seen, nodeKeyFingerprint: 'd'.repeat(64) }, '2025-01-10T00:00:00Z');
  t.deepEqual([swapped.plan.changes, swapped.held.map((c) => c.reason)], [[], ["reissue: the key at /etc/etcd/peer.key is not the certificate's key"]]);
});
