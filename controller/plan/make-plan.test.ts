import test from 'ava';
import { fileContentMismatches, makePlan, planHash } from './make-plan.js';
import { planGraph } from './plan-graph.js';
import { canonicalJson } from '../model/canonical-json.js';
import { sha256 } from '../model/sha256.js';
import stringify from 'safe-stable-stringify';
import { renderServiceDefinition } from '../../reconcilers/service/definition.js';
import { appliedNode, desired, directory, file, inventory, node, resource, service, command } from '../../test/support/build-desired.js';
import { emptyInventory } from '../model/observed.js';
import { registry } from '../../reconcilers/registry.js';

const runitHash = (s: Parameters<typeof renderServiceDefinition>[0]) => renderServiceDefinition(s, 'runit').hash;

function site(confContent = 'a=1\n') {
  const dir = resource(directory('/etc/app'));
  const conf = resource(file('/etc/app/app.conf', confContent), ['n1/directory:/etc/app']);
  const other = resource(file('/etc/app/other.conf', 'x\n'), ['n1/directory:/etc/app']);
  const svc = resource(service('app', { restartOnChangeOf: ['file:/etc/app/app.conf'] }), ['n1/file:/etc/app/app.conf']);
  return [dir, conf, other, svc];
}

test('first apply creates everything in dependency order', (t) => {
  const plan = makePlan(desired([node('n1', site())]), emptyInventory(), { registry });
  t.deepEqual(plan.summary, { create: 4, update: 0, delete: 0, restart: 0, run: 0 });
  const byId = Object.fromEntries(plan.changes.map((c) => [c.id, c]));
  t.deepEqual(byId['n1/service:app']?.dependsOn, ['n1/file:/etc/app/app.conf']);
  t.deepEqual(byId['n1/file:/etc/app/app.conf']?.dependsOn, ['n1/directory:/etc/app']);
  const graph = planGraph(plan.changes);
  t.true(graph.ok);
  if (graph.ok) t.true(graph.order.indexOf('n1/directory:/etc/app') < graph.order.indexOf('n1/service:app'));
  t.deepEqual(plan.rollout, [], 'creating a service disturbs nothing running');
});

test('applied state plans nothing', (t) => {
  const resources = site();
  const plan = makePlan(desired([node('n1', resources)]), inventory({ n1: appliedNode(resources, runitHash) }), { registry });
  t.deepEqual(plan.changes, []);
});

test('a changed file restarts the service that reads it; an unrelated one does not', (t) => {
  const applied = inventory({ n1: appliedNode(site(), runitHash) });
  const plan = makePlan(desired([node('n1', site('a=2\n'))]), applied, { registry });
  t.deepEqual(plan.changes.map((c) => [c.id, c.action]), [['n1/file:/etc/app/app.conf', 'update'], ['n1/service:app#restart', 'restart']]);
  const restart = plan.changes[1]!;
  t.is(restart.reason, 'file:/etc/app/app.conf changed');
  t.deepEqual(restart.dependsOn, ['n1/file:/etc/app/app.conf']);
  t.deepEqual(plan.rollout.map((r) => [r.cluster, r.batches.map((b) => b.nodes), r.failureBudget]), [['main', [['n1']], 0]]);

  const resources = site();
  const other = resources.map((r) => (r.key === 'file:/etc/app/other.conf' ? resource(file('/etc/app/other.conf', 'y\n'), r.dependsOn) : r));
  const quiet = makePlan(desired([node('n1', other)]), applied, { registry });
  t.deepEqual(quiet.changes.map((c) => c.action), ['update']);
});

test('edges pass through unchanged resources', (t) => {
  const a = resource(file('/etc/a', 'a'));
  const b = resource(file('/etc/b', 'b'), ['n1/file:/etc/a']);
  const c = resource(command('use-b'), ['n1/file:/etc/b']);
  const inv = inventory({ n1: appliedNode([b], runitHash) });
  const plan = makePlan(desired([node('n1', [a, b, c])]), inv, { registry });
  t.deepEqual(plan.changes.find((x) => x.key === 'command:use-b')?.dependsOn, ['n1/file:/etc/a']);
});

test('prunes only what underlay manages, services before files before directories', (t) => {
  const old = [resource(directory('/opt/old')), resource(file('/opt/old/x.conf', 'x')), resource(service('old'))];
  const n = appliedNode(old, runitHash);
  n.resources['file:/etc/hand-made'] = { kind: 'file', path: '/etc/hand-made', exists: true, sha256: 'a'.repeat(64) };
  const plan = makePlan(desired([node('n1', [])]), inventory({ n1: n }), { registry });
  t.deepEqual(plan.changes.map((c) => [c.id, c.action, c.dependsOn]), [
    ['n1/directory:/opt/old', 'delete', ['n1/file:/opt/old/x.conf', 'n1/service:old']],
    ['n1/file:/opt/old/x.conf', 'delete', ['n1/service:old']],
    ['n1/service:old', 'delete', []],
  ]);
});

test('unreachable nodes get no changes and a warning', (t) => {
  const inv = inventory({ n1: { reachable: false, error: 'connection refused', facts: {}, managed: {}, resources: {} } });
  const plan = makePlan(desired([node('n1', site()), node('n2', [resource(file('/etc/x', 'x'))])]), inv, { registry });
  t.deepEqual(plan.changes.map((c) => c.target), [{ name: 'n2', type: 'node' }]);
  t.deepEqual(plan.warnings, ['node n1 was unreachable (connection refused): no changes planned for it']);
});

test('a managed record read from its previous copy is planned from it, with a warning; an unusable one gets no changes', (t) => {
  const resources = site();
  const restored = { ...appliedNode(resources, runitHash), managedRecordProblem: { code: 'ManagedRecordRestored' as const, message: 'restored from the copy' } };
  const corrupt = { reachable: true, facts: {}, managed: {}, resources: {}, managedRecordProblem: { code: 'ManagedRecordCorrupt' as const, message: 'neither copy usable' } };
  const plan = makePlan(desired([node('n1', resources), node('n2', site())]), inventory({ n1: restored, n2: corrupt }), { registry });
  t.deepEqual(plan.changes, [], 'n1 is in step with the restored record; n2 is left alone');
  t.deepEqual(plan.warnings, ['node n1: ManagedRecordRestored: restored from the copy', 'node n2: ManagedRecordCorrupt: neither copy usable']);
});

test('the plan carries the rollout planner\'s intents: batches of maxUnavailable in name order, an unreachable member counted as down', (t) => {
  const names = ['n5', 'n1', 'n3', 'n2', 'n4'];
  const nodes = names.map((n) => node(n, [resource(service('app'))]));
  const inv = inventory(Object.fromEntries(names.map((n) => [n, { ...appliedNode([resource(service('app'))], runitHash), resources: { 'service:app': { kind: 'service' as const, name: 'app', exists: true, definitionHash: 'f'.repeat(64), running: true, enabled: true } } }])));
  const plan = makePlan(desired(nodes, 2), inv, { registry });
  t.deepEqual(plan.rollout[0]?.batches.map((b) => [b.nodes, b.downAtOnce, b.gates]), [
    [['n1', 'n2'], 2, ['service-up']],
    [['n3', 'n4'], 2, ['service-up']],
    [['n5'], 1, ['service-up']],
  ]);
  t.like(plan.rollout[0], { cluster: 'main', members: 5, maxUnavailable: 2, order: 'name', unavailable: [], held: [] });
  // n3 unreachable: it is down already, so each batch has room for one more.
  const down = makePlan(desired(nodes, 2), { ...inv, nodes: { ...inv.nodes, n3: { reachable: false, facts: {}, managed: {}, resources: {} } } }, { registry });
  t.like(down.rollout[0], { unavailable: ['n3'] });
  t.deepEqual(down.rollout[0]?.batches.map((b) => [b.nodes, b.downAtOnce]), [
    [['n1'], 2],
    [['n2'], 2],
    [['n4'], 2],
    [['n5'], 2],
  ]);
});

test('hash is the sha256 of the canonical JSON without hash (file content stood for by its sha256), and ignores observedAt', (t) => {
  const d = desired([node('n1', site())]);
  const inv = inventory({ n1: appliedNode(site(), runitHash) });
  const plan = makePlan(d, inventory({ n1: appliedNode(site('changed'), runitHash) }), { registry });
  const { hash, ...body } = plan;
  const withoutContent = { ...body, changes: body.changes.map((c) => (c.kind === 'file' && c.after ? { ...c, after: { ...c.after, content: undefined } } : c)) };
  t.true(body.changes.some((c) => c.kind === 'file' && typeof c.after?.content === 'string'));
  t.is(hash, sha256(canonicalJson(withoutContent)));
  t.is(canonicalJson(body), String(stringify(body)), 'the fast canonical JSON must match safe-stable-stringify byte for byte');
  t.is(canonicalJson({ b: [1, undefined, 'é\u0000"'], a: undefined, '10': 1, '9': null }), String(stringify({ b: [1, undefined, 'é\u0000"'], a: undefined, '10': 1, '9': null })));
  t.is(planHash(plan), hash);
  t.is(makePlan(d, inv, { registry }).hash, makePlan(d, { ...inv, observedAt: '2030-01-01T00:00:00Z' }, { registry }).hash);
  const rest: Partial<typeof inv> = { ...inv };
  delete rest.observedAt;
  t.is(makePlan(d, inv, { registry }).inventoryHash, sha256(canonicalJson(rest)));
  t.is(makePlan(d, inv, { registry }).nodeInventoryHashes.n1, sha256(canonicalJson(inv.nodes.n1)));
});

test('an edit of file content shows against its sha256; an edit of the sha256 against the plan hash', (t) => {
  const plan = makePlan(desired([node('n1', site())]), emptyInventory(), { registry });
  t.deepEqual(fileContentMismatches(plan), []);
  const edit = (patch: Record<string, unknown>) => ({
    ...plan,
    changes: plan.changes.map((c) => (c.id === 'n1/file:/etc/app/app.conf' ? { ...c, after: { ...c.after, ...patch } } : c)),
  });
  const content = edit({ content: 'a=2\n' });
  t.is(planHash(content), plan.hash);
  t.deepEqual(fileContentMismatches(content), ['n1/file:/etc/app/app.conf']);
  t.not(planHash(edit({ content: 'a=2\n', sha256: sha256('a=2\n') })), plan.hash);
});

test('plan graph reports cycles and dangling edges', (t) => {
  const c = (id: string, dependsOn: string[]) => ({ id, target: { name: 'n', type: 'node' as const }, kind: 'file' as const, key: id, action: 'create' as const, before: null, after: null, reason: '', dependsOn, disruptive: false });
  t.deepEqual(planGraph([c('a', ['b']), c('b', ['c']), c('c', ['a'])]), { ok: false, problems: [{ code: 'DependencyCycle', cycle: ['a', 'b', 'c', 'a'] }] });
  t.deepEqual(planGraph([c('a', ['z'])]), { ok: false, problems: [{ code: 'DanglingDependency', change: 'a', missing: 'z' }] });
  t.deepEqual(planGraph([c('b', ['a']), c('a', [])]), { ok: true, order: ['a', 'b'] });
  // Of the changes ready to go, the one given first goes next (not breadth-first): b follows a at once.
  t.deepEqual(planGraph([c('a', []), c('b', ['a']), c('c', []), c('d', ['c']), c('e', [])]), { ok: true, order: ['a', 'b', 'c', 'd', 'e'] });
});

test('a restart a crashed run owed (restartPending on the node) is planned although its config is already in place', (t) => {
  const resources = site();
  const applied = appliedNode(resources, runitHash);
  const owed = inventory({ n1: { ...applied, managed: { ...applied.managed, 'service:app': { hash: applied.managed['service:app']!.hash, restartPending: true } } } });
  const plan = makePlan(desired([node('n1', resources)]), owed, { registry });
  t.deepEqual(plan.changes.map((c) => [c.id, c.action, c.reason]), [['n1/service:app#restart', 'restart', 'restart interrupted by a controller crash']]);
  t.true(plan.changes[0]!.disruptive);
  t.deepEqual(plan.rollout.map((r) => [r.cluster, r.batches.map((b) => b.nodes), r.failureBudget]), [['main', [['n1']], 0]]);
  t.true(planGraph(plan.changes).ok);

  // Without the flag the same node plans nothing: the flag alone is what keeps the restart.
  t.deepEqual(makePlan(desired([node('n1', resources)]), inventory({ n1: applied }), { registry }).changes, []);
});

test('an owed restart of a disabled service is not planned; an owed re-run of a guarded command runs despite its guard and restarts what uses it', (t) => {
  const stopped = resource(service('idle', { enabled: false }));
  const init = resource(command('init', { argv: ['/bin/true'], creates: '/var/lib/init-done' }));
  const svc = resource(service('app', { restartOnChangeOf: ['command:init'] }));
  const resources = [stopped, init, svc];
  const applied = appliedNode(resources, runitHash);
  const flag = (key: string) => ({ hash: applied.managed[key]!.hash, restartPending: true as const });
  const inv = inventory({ n1: { ...applied, managed: { ...applied.managed, 'service:idle': flag('service:idle'), 'command:init': flag('command:init') } } });
  const plan = makePlan(desired([node('n1', resources)]), inv, { registry });
  t.deepEqual(
    plan.changes.map((c) => [c.id, c.action, c.reason]),
    [
      ['n1/command:init', 'run', 're-run interrupted by a controller crash'],
      ['n1/service:app#restart', 'restart', 'command:init changed'],
    ],
  );
  t.deepEqual(plan.changes[1]!.dependsOn, ['n1/command:init']);
  t.deepEqual(plan.changes[0]!.after, { name: 'init', argv: ['/bin/true'], creates: '/var/lib/init-done' });
});

test('an owed restart of a service that has its own update keeps the update', (t) => {
  const resources = site();
  const applied = appliedNode(resources, runitHash);
  const changed = site().map((r) => (r.key === 'service:app' ? resource(service('app', { args: ['--new'], restartOnChangeOf: ['file:/etc/app/app.conf'] }), r.dependsOn) : r));
  const inv = inventory({ n1: { ...applied, managed: { ...applied.managed, 'service:app': { hash: applied.managed['service:app']!.hash, restartPending: true } } } });
  const plan = makePlan(desired([node('n1', changed)]), inv, { registry });
  t.deepEqual(plan.changes.map((c) => [c.id, c.action]), [['n1/service:app', 'update']]);
});

test('drift: a change back to the desired state underlay applied is marked, with the restart only it triggers; a pending write, Git\'s change and an unrecorded resource are not', (t) => {
  const resources = site();
  const applied = appliedNode(resources, runitHash);
  const edited = (n: typeof applied) => ({ ...n, resources: { ...n.resources, 'file:/etc/app/app.conf': { ...n.resources['file:/etc/app/app.conf']!, sha256: sha256('edited by hand\n') } as typeof n.resources[string] } });
  const marks = (p: ReturnType<typeof makePlan>) => p.changes.map((c) => [c.id, c.drift ?? false]);

  const handEdit = makePlan(desired([node('n1', resources)]), inventory({ n1: edited(applied) }), { registry });
  t.deepEqual(marks(handEdit), [['n1/file:/etc/app/app.conf', true], ['n1/service:app#restart', true]]);

  // The same difference while the node's record says the write is still pending: unfinished work.
  const pending = { ...edited(applied), managed: { ...applied.managed, 'file:/etc/app/app.conf': { ...applied.managed['file:/etc/app/app.conf']!, applyPending: true as const } } };
  t.deepEqual(marks(makePlan(desired([node('n1', resources)]), inventory({ n1: pending }), { registry })), [['n1/file:/etc/app/app.conf', false], ['n1/service:app#restart', false]]);

  // Git changed the file as well: the desired hash is a new one, so it is no drift.
  t.deepEqual(marks(makePlan(desired([node('n1', site('a=2\n'))]), inventory({ n1: edited(applied) }), { registry })), [['n1/file:/etc/app/app.conf', false], ['n1/service:app#restart', false]]);

  // Not recorded on the node (taken over, or never applied): no drift.
  const rest = { ...applied.managed };
  delete rest['file:/etc/app/app.conf'];
  t.deepEqual(marks(makePlan(desired([node('n1', resources)]), inventory({ n1: { ...edited(applied), managed: rest } }), { registry }))[0], ['n1/file:/etc/app/app.conf', false]);
});

test('drift: a restart that both a drifted and a changed file trigger is no drift', (t) => {
  const dir = resource(directory('/etc/app'));
  const conf = resource(file('/etc/app/app.conf', 'a=1\n'), ['n1/directory:/etc/app']);
  const other = resource(file('/etc/app/other.conf', 'x\n'), ['n1/directory:/etc/app']);
  const svc = resource(service('app', { restartOnChangeOf: ['file:/etc/app/app.conf', 'file:/etc/app/other.conf'] }), ['n1/file:/etc/app/app.conf']);
  const applied = appliedNode([dir, conf, other, svc], runitHash);
  const drifted = { ...applied, resources: { ...applied.resources, 'file:/etc/app/app.conf': { ...applied.resources['file:/etc/app/app.conf']!, sha256: sha256('edited\n') } as typeof applied.resources[string] } };
  const changedOther = resource(file('/etc/app/other.conf', 'y\n'), ['n1/directory:/etc/app']);
  const plan = makePlan(desired([node('n1', [dir, conf, changedOther, svc])]), inventory({ n1: drifted }), { registry });
  t.deepEqual(plan.changes.map((c) => [c.id, c.drift ?? false]), [['n1/file:/etc/app/app.conf', true], ['n1/file:/etc/app/other.conf', false], ['n1/service:app#restart', false]]);
});
