/**
 * The apply engine against FAKE kind effects and a FAKE managed record (test/support/fake-apply.ts) and a real SQLite
 * store in memory. Real-host behaviour is covered by the e2e tests.
 */
import test from 'ava';
import { steppingClock } from '../clock.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { applyPlan, type ApplyEvent, type ApplyPlanOptions } from './apply-plan.js';
import { renderChangeSetSummary } from './change-set.js';
import { readSiteStatus } from '../status/read-site-status.js';
import { change, fakeManagedRecord, fakeNodes, fakeEffects, instantTimers, testPlan, unusedTransport, type FakeBehaviour } from '../../test/support/fake-apply.js';
import { registry } from '../../reconcilers/registry.js';
import { effectsOf } from '../../reconcilers/effects.js';
import type { ErrorRecord } from '../model/errors.js';
import { ledgerPools } from '../targets/pool-provider.js';
import type { ZoneTargetProvider } from '../targets/zone-provider.js';

function setup(nodes: string[], behaviour: FakeBehaviour = {}, extra: Partial<ApplyPlanOptions> = {}) {
  const log: string[] = [];
  const events: ApplyEvent[] = [];
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  const effects = fakeEffects(log, behaviour);
  const managed = fakeManagedRecord(log);
  const base = {
    nodes: fakeNodes(nodes),
    transport: unusedTransport,
    registry,
    effects: effects.lookup,
    managedRecord: managed,
    store,
    clock: steppingClock(),
    timers: instantTimers(),
    concurrency: 4,
    onEvent: (e: ApplyEvent) => events.push(e),
    ...extra,
  };
  return { log, events, store, managed, peak: effects.peak, base };
}

test('every change is applied in dependency order and journalled started then succeeded', async (t) => {
  const s = setup(['n1']);
  const plan = testPlan([
    change('n1/directory:/etc/app'),
    change('n1/file:/etc/app/app.conf', { dependsOn: ['n1/directory:/etc/app'] }),
    change('n1/service:app', { dependsOn: ['n1/file:/etc/app/app.conf'] }),
  ]);
  const result = await applyPlan({ ...s.base, plan });
  t.is(result.status, 'succeeded');
  t.deepEqual(
    s.log.filter((l) => l.startsWith('apply')),
    ['apply n1/directory:/etc/app', 'apply n1/file:/etc/app/app.conf', 'apply n1/service:app'],
  );
  t.deepEqual(
    (await s.store.journalOf(result.runId)).map((e) => `${e.phase} ${e.changeId}`),
    [
      'started n1/directory:/etc/app',
      'succeeded n1/directory:/etc/app',
      'started n1/file:/etc/app/app.conf',
      'succeeded n1/file:/etc/app/app.conf',
      'started n1/service:app',
      'succeeded n1/service:app',
    ],
  );
  t.deepEqual(
    (await s.store.nodeStatuses()).map((n) => [n.node, n.lastAppliedCommit, n.failures]),
    [['n1', 'c0mmit', 0]],
  );
  t.is((await s.store.run(result.runId))?.status, 'succeeded');
});

test('while a change runs, its journal says started and not yet succeeded', async (t) => {
  const seen: string[] = [];
  const s = setup(['n1'], {
    during: async (c) => {
      const runs = await s.store.runs(1);
      const entries = await s.store.journalOf(runs[0]?.id ?? -1);
      seen.push(entries.filter((e) => e.changeId === c.id).map((e) => e.phase).join(','));
    },
  });
  await applyPlan({ ...s.base, plan: testPlan([change('n1/file:/a'), change('n1/file:/b')]) });
  t.deepEqual(seen, ['started', 'started']);
});

test('a failing change fails its node: its other changes and its dependents elsewhere are skipped, other nodes converge', async (t) => {
  const s = setup(['n1', 'n2', 'n3'], { fail: ['n1/file:/etc/a'] });
  const plan = testPlan([
    change('n1/file:/etc/a'),
    change('n1/file:/etc/z'),
    change('n2/file:/etc/peer', { dependsOn: ['n1/file:/etc/a'] }),
    change('n2/file:/etc/own'),
    change('n3/file:/etc/a'),
  ]);
  const result = await applyPlan({ ...s.base, plan });
  t.is(result.status, 'failed');
  const outcome = Object.fromEntries(result.results.map((r) => [r.id, r.outcome === 'skipped' ? `skipped ${r.cause}` : r.outcome]));
  t.deepEqual(outcome, {
    'n1/file:/etc/a': 'failed',
    'n1/file:/etc/z': 'skipped node-failed',
    'n2/file:/etc/own': 'applied',
    'n2/file:/etc/peer': 'skipped dependency-failed',
    'n3/file:/etc/a': 'applied',
  });
  t.false(s.log.includes('apply n1/file:/etc/z'));
  t.false(s.log.includes('apply n2/file:/etc/peer'));
  const failed = result.results.find((r) => r.id === 'n1/file:/etc/a');
  t.is(failed?.outcome === 'failed' ? failed.error : '', 'fake failure of n1/file:/etc/a');
  t.deepEqual(result.nodes, {
    n1: { converged: false, error: { code: 'ApplyFailed', message: 'n1/file:/etc/a: fake failure of n1/file:/etc/a' } },
    n2: { converged: false },
    n3: { converged: true },
  });
  const statuses = Object.fromEntries((await s.store.nodeStatuses()).map((n) => [n.node, [n.lastAppliedCommit, n.failures]]));
  // n2 neither failed nor fully converged: its status is left as it was (none yet).
  t.deepEqual(statuses, { n1: [null, 1], n3: ['c0mmit', 0] });
  const journal = await s.store.journalOf(result.runId);
  t.deepEqual(
    journal.filter((e) => e.phase === 'skipped').map((e) => [e.changeId, e.detail]),
    [
      ['n1/file:/etc/z', 'node n1 failed: n1/file:/etc/a: fake failure of n1/file:/etc/a'],
      ['n2/file:/etc/peer', 'dependency failed: n1/file:/etc/a'],
    ],
  );
  t.regex(renderChangeSetSummary(result), /n1\s+0\s+0\s+0\s+0\s+0\s+1\s+1/);
});

test('the managed record is written before a create, dropped after a delete, and for commands only after they ran', async (t) => {
  const s = setup(['n1'], { fail: ['n1/command:broken'] });
  const plan = testPlan([
    change('n1/file:/etc/new'),
    change('n1/file:/etc/old', { action: 'delete' }),
    change('n1/command:init', { action: 'run', dependsOn: ['n1/file:/etc/new'] }),
    change('n1/command:broken', { action: 'run', dependsOn: ['n1/command:init', 'n1/file:/etc/old'] }),
  ]);
  s.managed.records.set('n1', { 'file:/etc/old': { hash: 'x' } });
  await applyPlan({ ...s.base, plan });
  t.deepEqual(s.log, [
    // Guard-less commands owe their run once their inputs change (see the restartPending test below).
    'record n1 command:init (hash kept) restartPending=true',
    // Pending until written: a crash in between leaves unfinished work, not drift (ADR 0028).
    'record n1 file:/etc/new hash-of-n1/file:/etc/new applyPending=true',
    'apply n1/file:/etc/new',
    'record n1 file:/etc/new (hash kept) applyPending=false',
    'record n1 command:broken (hash kept) restartPending=true',
    'apply n1/command:init',
    'record n1 command:init hash-of-n1/command:init restartPending=false applyPending=false',
    'apply n1/file:/etc/old',
    'record n1 file:/etc/old (drop)',
    'apply n1/command:broken',
  ]);
  t.deepEqual(s.managed.records.get('n1'), {
    'file:/etc/new': { hash: 'hash-of-n1/file:/etc/new' },
    'command:init': { hash: 'hash-of-n1/command:init' },
  });
});

test('a restart owed by a config change is flagged on the node before the config is touched, and cleared only after the restart', async (t) => {
  const s = setup(['n1'], { fail: ['n1/service:db#restart'] });
  const plan = testPlan([
    change('n1/file:/etc/app.conf', { action: 'update' }),
    change('n1/service:app#restart', { action: 'restart', dependsOn: ['n1/file:/etc/app.conf'] }),
    change('n1/file:/etc/db.conf', { action: 'update', dependsOn: ['n1/service:app#restart'] }),
    change('n1/service:db#restart', { action: 'restart', dependsOn: ['n1/file:/etc/db.conf'] }),
  ]);
  s.managed.records.set('n1', {
    'service:app': { hash: 'app' },
    'service:db': { hash: 'db' },
    'file:/etc/app.conf': { hash: 'old' },
    'file:/etc/db.conf': { hash: 'old' },
  });
  await applyPlan({ ...s.base, plan });
  t.deepEqual(s.log, [
    'record n1 service:app (hash kept) restartPending=true',
    'record n1 file:/etc/app.conf hash-of-n1/file:/etc/app.conf applyPending=true',
    'apply n1/file:/etc/app.conf',
    'record n1 file:/etc/app.conf (hash kept) applyPending=false',
    'apply n1/service:app#restart',
    'record n1 service:app (hash kept) restartPending=false',
    'record n1 service:db (hash kept) restartPending=true',
    'record n1 file:/etc/db.conf hash-of-n1/file:/etc/db.conf applyPending=true',
    'apply n1/file:/etc/db.conf',
    'record n1 file:/etc/db.conf (hash kept) applyPending=false',
    'apply n1/service:db#restart',
  ]);
  // The failed restart is still owed: the next plan restarts db although db.conf is in place.
  t.deepEqual(s.managed.records.get('n1')?.['service:db'], { hash: 'db', restartPending: true });
  t.deepEqual(s.managed.records.get('n1')?.['service:app'], { hash: 'app' });
});

test('a first run of a guarded command is not flagged (its guard decides after a crash); a triggered re-run is', async (t) => {
  const s = setup(['n1']);
  const guarded = { argv: ['init'], creates: '/var/lib/x' };
  const plan = testPlan([
    change('n1/file:/etc/a', { action: 'update' }),
    change('n1/command:first', { action: 'run', after: guarded, before: { name: 'first', createsExists: false }, dependsOn: ['n1/file:/etc/a'] }),
    change('n1/command:again', { action: 'run', after: guarded, before: { name: 'again', createsExists: true }, dependsOn: ['n1/file:/etc/a'] }),
  ]);
  await applyPlan({ ...s.base, plan });
  t.deepEqual(s.log.filter((l) => l.includes('restartPending=true')), ['record n1 command:again (hash kept) restartPending=true']);
  t.deepEqual(s.managed.records.get('n1')?.['command:again'], { hash: 'hash-of-n1/command:again' });
});

test('concurrency bounds how many nodes are changed at once', async (t) => {
  const names = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
  const s = setup(names, { delayMs: 5 }, { concurrency: 2 });
  const plan = testPlan(names.flatMap((n) => [change(`${n}/file:/a`), change(`${n}/file:/b`)]));
  const result = await applyPlan({ ...s.base, plan });
  t.is(result.status, 'succeeded');
  t.is(s.peak(), 2);
});

function rollingPlan(nodes: string[], budget: number) {
  const changes = nodes.flatMap((n) => [
    change(`${n}/file:/etc/app.conf`, { action: 'update', cluster: 'app' }),
    change(`${n}/service:app#restart`, { action: 'restart', disruptive: true, cluster: 'app', dependsOn: [`${n}/file:/etc/app.conf`] }),
  ]);
  // maxUnavailable as many as the nodes: a node that failed within the budget does not hold the next batch back.
  return testPlan(changes, [{ cluster: 'app', batches: nodes.map((n) => [n]), failureBudget: budget, policy: { maxUnavailable: nodes.length, progressDeadlineSeconds: 3 } }]);
}

test('a rollout goes batch by batch: a batch starts after the previous batch passed its health gate', async (t) => {
  const s = setup(['n1', 'n2', 'n3']);
  const result = await applyPlan({ ...s.base, plan: rollingPlan(['n1', 'n2', 'n3'], 0) });
  t.is(result.status, 'succeeded');
  t.deepEqual(s.log.filter((l) => !l.startsWith('record')), [
    'apply n1/file:/etc/app.conf',
    'apply n1/service:app#restart',
    'health n1',
    'apply n2/file:/etc/app.conf',
    'apply n2/service:app#restart',
    'health n2',
    'apply n3/file:/etc/app.conf',
    'apply n3/service:app#restart',
    'health n3',
  ]);
});

test('the circuit breaker halts the rollout past the failure budget: later batches are skipped and the run says RolloutHalted', async (t) => {
  const nodes = ['n1', 'n2', 'n3', 'n4'];
  const s = setup(nodes, { fail: ['n1/service:app#restart'], unhealthy: ['n2'] });
  const result = await applyPlan({ ...s.base, plan: rollingPlan(nodes, 1) });
  t.is(result.status, 'halted');
  t.deepEqual(result.conditions, [
    {
      type: 'RolloutHalted',
      reason: 'FailureBudgetExceeded',
      message:
        'rollout of cluster app halted: 2 node(s) failed (n1, n2), failure budget is 1; 2 remaining batch(es) not started ' +
        '[n1: change failed "n1/service:app#restart: fake failure of n1/service:app#restart"; n2: service-up timed out "not healthy within the progress deadline of 3s (3 tries): service:app: service down (fake)"]',
      cluster: 'app',
    },
  ]);
  t.false(s.log.some((l) => l.includes('n3') || l.includes('n4')), 'nothing of the halted batches ran');
  const skipped = result.results.filter((r) => r.outcome === 'skipped' && r.cause === 'rollout-halted').map((r) => r.id);
  t.deepEqual(skipped, ['n3/file:/etc/app.conf', 'n3/service:app#restart', 'n4/file:/etc/app.conf', 'n4/service:app#restart']);
  t.deepEqual(result.nodes.n2, { converged: false, error: { code: 'Unhealthy', message: 'unhealthy after rollout batch 2: service:app: service down (fake)' } });
  const run = await s.store.run(result.runId);
  t.is(run?.status, 'halted');
  t.is(run?.conditions[0]?.type, 'RolloutHalted');
  t.true(s.events.some((e) => e.type === 'rollout-halted'));
});

test('failures within the budget do not halt the rollout', async (t) => {
  const nodes = ['n1', 'n2', 'n3'];
  const s = setup(nodes, { fail: ['n1/service:app#restart'] });
  const result = await applyPlan({ ...s.base, plan: rollingPlan(nodes, 1) });
  t.is(result.status, 'failed');
  t.deepEqual(result.conditions, []);
  t.true(s.log.includes('apply n3/service:app#restart'));
});

test('unreachable nodes are recorded as failed, and a change of a target type without a provider fails saying so', async (t) => {
  const s = setup(['n1'], {}, { unreachable: { n9: { code: 'Unreachable', message: 'connection refused' } } });
  const result = await applyPlan({ ...s.base, plan: testPlan([change('pool:vip/ip:vip/app', { kind: 'ip' })]) });
  t.is(result.status, 'failed');
  t.deepEqual(result.nodes.n9, { converged: false, error: { code: 'Unreachable', message: 'unreachable: connection refused' } });
  const ip = result.results[0];
  t.like(ip, { outcome: 'failed', code: 'NoTargetProvider', error: 'no provider for pool targets is configured, so pool:vip cannot be changed' });
  t.like((await s.store.journalOf(result.runId)).at(-1), { phase: 'failed', code: 'NoTargetProvider' });
  t.deepEqual(result.nodes.n1, { converged: true });
  // Nothing was attempted on n9, so the table has no row for it: the summary still names it and why.
  t.regex(renderChangeSetSummary(result), /^not converged: n9: unreachable: connection refused \[Unreachable\]$/m);
  t.notRegex(renderChangeSetSummary(result), /not converged: n1/);
});

test('a node whose managed record is unusable is refused with its reason; one read from the copy has it written back first, with or without changes', async (t) => {
  const s = setup(['n1', 'n2', 'n3']);
  const nodes = fakeNodes(['n1', 'n2', 'n3']);
  nodes.n1 = { ...nodes.n1!, refused: { code: 'ManagedRecordCorrupt', message: 'neither copy is usable; to recover ...' } };
  nodes.n2 = { ...nodes.n2!, rewriteManagedRecord: true };
  nodes.n3 = { ...nodes.n3!, rewriteManagedRecord: true };
  const updates: string[] = [];
  const managedRecord: ApplyPlanOptions['managedRecord'] = {
    update: (ctx, list) => {
      updates.push(`${ctx.node.name}: ${list.map((u) => u.key).join(', ') || 'written back'}`);
      return s.managed.update(ctx, list);
    },
  };
  const plan = testPlan([change('n1/file:/etc/a'), change('n3/file:/etc/b')]);
  const result = await applyPlan({ ...s.base, nodes, managedRecord, plan });
  t.is(result.status, 'failed');
  t.deepEqual(result.nodes.n1, { converged: false, error: { code: 'ManagedRecordCorrupt', message: 'neither copy is usable; to recover ...' } });
  t.like(result.results.find((r) => r.id === 'n1/file:/etc/a'), { outcome: 'skipped', cause: 'node-failed', code: 'ManagedRecordCorrupt' });
  t.false(s.log.includes('apply n1/file:/etc/a'), 'nothing is done on the refused node');
  t.deepEqual(updates, ['n2: written back', 'n3: written back', 'n3: file:/etc/b', 'n3: file:/etc/b']);
  t.deepEqual([result.nodes.n2, result.nodes.n3], [{ converged: true }, { converged: true }]);
  const status = await readSiteStatus(s.store);
  t.like(status.nodes.find((n) => n.name === 'n1')?.conditions.find((c) => c.type === 'Ready'), { status: 'False', reason: 'ManagedRecordCorrupt' });
});

test('a change its kind skips is journalled skipped with the kind\'s message and shown; it settles, so its node converges and its dependents run', async (t) => {
  const s = setup(['n1'], { skip: ['n1/directory:/srv/data'] });
  const plan = testPlan([
    change('n1/directory:/srv/data', { action: 'delete' }),
    change('n1/directory:/srv', { action: 'delete', dependsOn: ['n1/directory:/srv/data'] }),
  ]);
  s.managed.records.set('n1', { 'directory:/srv/data': { hash: 'd' }, 'directory:/srv': { hash: 's' } });
  const result = await applyPlan({ ...s.base, plan });
  t.is(result.status, 'succeeded');
  t.like(result.results.find((r) => r.id === 'n1/directory:/srv/data'), { outcome: 'skipped', cause: 'kind', reason: 'fake skip of n1/directory:/srv/data' });
  t.like(result.results.find((r) => r.id === 'n1/directory:/srv'), { outcome: 'applied' });
  t.deepEqual(result.nodes.n1, { converged: true });
  const journal = await s.store.journalOf(result.runId);
  t.deepEqual(
    journal.filter((e) => e.phase !== 'started').map((e) => [e.phase, e.changeId, e.detail]),
    [
      ['skipped', 'n1/directory:/srv/data', 'fake skip of n1/directory:/srv/data'],
      ['succeeded', 'n1/directory:/srv', null],
    ],
  );
  t.deepEqual(s.managed.records.get('n1'), {}, 'what was left in place is no longer managed');
  const summary = renderChangeSetSummary(result);
  t.regex(summary, /^skipped: n1\/directory:\/srv\/data: fake skip of n1\/directory:\/srv\/data$/m);
  t.regex(summary, /n1\s+0\s+0\s+1\s+0\s+0\s+0\s+1/);
});

test('a certificate change without a certificate issuer fails saying so, before its node is touched', async (t) => {
  const s = setup(['n1'], {}, { effects: effectsOf });
  const result = await applyPlan({ ...s.base, plan: testPlan([change('n1/certificate:web', { after: { issue: 'new-key' } })]) });
  t.like(result.results[0], { outcome: 'failed', code: 'NoCertificateIssuer' });
});

test('a node whose lease was taken over mid-run is changed no more: its next change fails the node, others go on', async (t) => {
  const lost = new Map<string, ErrorRecord>();
  const s = setup(['n1', 'n2'], { during: (c) => Promise.resolve(void (c.id === 'n1/file:/a' && lost.set('n1', { code: 'LeaseLost', message: 'taken over' }))) }, { leases: { lost: (node) => lost.get(node) } });
  const plan = testPlan([change('n1/file:/a'), change('n1/file:/b', { dependsOn: ['n1/file:/a'] }), change('n2/file:/a')]);
  const result = await applyPlan({ ...s.base, plan, concurrency: 1 });
  t.deepEqual(s.log.filter((l) => l.startsWith('apply')), ['apply n1/file:/a', 'apply n2/file:/a']);
  t.deepEqual(result.nodes.n1, { converged: false, error: { code: 'LeaseLost', message: 'taken over' } });
  t.like(result.results.find((r) => r.id === 'n1/file:/b'), { outcome: 'skipped', reason: 'node n1 failed: taken over', code: 'LeaseLost' });
  t.is(result.status, 'failed');
});

test('ip changes apply to the pool\'s ledger (allocate, move, release); a dns change without a zone provider fails with NoTargetProvider', async (t) => {
  const s = setup([]);
  const ledger = s.store.ledger();
  await ledger.allocate({ pool: 'vips', name: 'lab.old', address: '10.0.0.9' });
  await ledger.allocate({ pool: 'vips', name: 'lab.api', address: '10.0.0.5' });
  const ip = (id: string, action: 'create' | 'update' | 'delete', address?: string) =>
    change(id, { kind: 'ip', action, ...(address ? { after: { kind: 'ip', pool: 'vips', name: id.split('/').pop()!, address } } : {}) });
  const plan = testPlan([
    ip('pool:vips/ip:vips/lab.vip', 'create', '10.0.0.4'),
    ip('pool:vips/ip:vips/lab.api', 'update', '10.0.0.6'),
    ip('pool:vips/ip:vips/lab.old', 'delete'),
    change('zone:lab/dns:lab/n1.lab.example.net./A', { kind: 'dns', dependsOn: ['pool:vips/ip:vips/lab.vip'] }),
  ]);
  const result = await applyPlan({ ...s.base, plan, targets: { pool: ledgerPools(ledger) } });
  const observed = await ledgerPools(ledger).observe();
  t.deepEqual(observed.vips?.allocations, { 'lab.api': '10.0.0.6', 'lab.vip': '10.0.0.4' });
  // Released, kept for the pool's grace period (lab.api's old address is not: its name lives on at another).
  t.deepEqual(Object.entries(observed.vips?.released ?? {}).map(([name, r]) => [name, r.address]), [['lab.old', '10.0.0.9']]);
  t.deepEqual(result.results.map((r) => [r.id, r.outcome]), [
    ['pool:vips/ip:vips/lab.api', 'applied'],
    ['pool:vips/ip:vips/lab.old', 'applied'],
    ['pool:vips/ip:vips/lab.vip', 'applied'],
    ['zone:lab/dns:lab/n1.lab.example.net./A', 'failed'],
  ]);
  const dns = result.results[3];
  t.is(dns?.outcome === 'failed' ? dns.error : '', 'no provider for zone targets is configured, so zone:lab cannot be changed');
  t.deepEqual(result.nodes['pool:vips'], { converged: true });
  t.like(result.nodes['zone:lab'], { converged: false });
  t.is(result.status, 'failed');
});

test('a dns change goes to the zone provider with the value observed at plan time as its prerequisite', async (t) => {
  const s = setup([]);
  const calls: unknown[] = [];
  const zone: ZoneTargetProvider = {
    observe: () => Promise.resolve({ records: {} }),
    write: (name, changes) => {
      calls.push([name, changes]);
      return Promise.resolve(new Map());
    },
  };
  const record = { kind: 'dns', zone: 'lab', name: 'n1.lab.example.net.', type: 'A', value: '10.0.0.1', ttl: 60 };
  const plan = testPlan([
    change('zone:lab/dns:lab/n1.lab.example.net./A', { kind: 'dns', action: 'update', before: { value: '10.0.0.9' }, after: record }),
    change('zone:lab/dns:lab/n2.lab.example.net./A', { kind: 'dns', action: 'delete', before: { value: '10.0.0.2' } }),
  ]);
  const result = await applyPlan({ ...s.base, plan, targets: { zone } });
  t.is(result.status, 'succeeded');
  // Both are of one level: handed over together.
  t.deepEqual(calls, [
    [
      'lab',
      [
        { id: 'zone:lab/dns:lab/n1.lab.example.net./A', record: { name: 'n1.lab.example.net.', type: 'A', value: '10.0.0.1', ttl: 60 }, before: '10.0.0.9', remove: false },
        { id: 'zone:lab/dns:lab/n2.lab.example.net./A', record: { name: 'n2.lab.example.net.', type: 'A', value: '10.0.0.2', ttl: 0 }, before: '10.0.0.2', remove: true },
      ],
    ],
  ]);
});

test('the dns changes of one zone and dependency level reach its provider in one write; a change the zone refuses fails alone and the zone\'s later levels are skipped', async (t) => {
  const s = setup([]);
  const handed: string[][] = [];
  const zone: ZoneTargetProvider = {
    observe: () => Promise.resolve({ records: {} }),
    write: (_zone, changes) => {
      handed.push(changes.map((c) => c.record.name));
      return Promise.resolve(new Map(changes.filter((c) => c.record.name === 'n7.lab.example.net.').map((c) => [c.id, new Error('n7 changed since it was planned')])));
    },
  };
  const record = (name: string) => ({ kind: 'dns', zone: 'lab', name, type: 'A', value: '10.0.0.1', ttl: 60 });
  const id = (name: string) => `zone:lab/dns:lab/${name}/A`;
  const names = Array.from({ length: 50 }, (_, i) => `n${i}.lab.example.net.`);
  const plan = testPlan([
    ...names.map((name) => change(id(name), { kind: 'dns', action: 'create', before: null, after: record(name) })),
    change(id('vip.lab.example.net.'), { kind: 'dns', action: 'create', before: null, after: record('vip.lab.example.net.'), dependsOn: [id(names[0]!)] }),
  ]);
  const result = await applyPlan({ ...s.base, plan, targets: { zone } });
  t.deepEqual(handed.map((b) => b.length), [50]);
  t.deepEqual(result.results.filter((r) => r.outcome !== 'applied').map((r) => `${r.id} ${r.outcome}`), [`${id('n7.lab.example.net.')} failed`, `${id('vip.lab.example.net.')} skipped`]);
  t.like(result.results.find((r) => r.id === id('n7.lab.example.net.')), { error: 'n7 changed since it was planned' });
});

test('a kind that takes levels gets all of one target\'s changes of a dependency level at once; each is journalled and settles on its own', async (t) => {
  const s = setup(['n1']);
  const handed: string[][] = [];
  const base = s.base.effects;
  const effects: ApplyPlanOptions['effects'] = (kind) => {
    const inner = base(kind);
    if (kind !== 'file' || !inner) return inner;
    return {
      ...inner,
      applyLevel: (_ctx, changes) => {
        handed.push(changes.map((c) => c.id));
        return Promise.resolve(new Map(changes.map((c) => [c.id, c.id === 'n1/file:/b' ? { error: new Error('disk full') } : { result: 'applied' as const }])));
      },
    };
  };
  const plan = testPlan([
    change('n1/directory:/d'),
    change('n1/file:/a', { dependsOn: ['n1/directory:/d'] }),
    change('n1/file:/b', { dependsOn: ['n1/directory:/d'] }),
    change('n1/file:/c'),
    change('n1/file:/e', { dependsOn: ['n1/file:/a'] }),
  ]);
  const result = await applyPlan({ ...s.base, effects, plan });
  // Level 1 (/a, /b) goes together, and first among what is ready (plan order); /c, alone at level 0, goes
  // through apply, but only after: /b failed its node, so /c and /e are skipped.
  t.deepEqual(handed, [['n1/file:/a', 'n1/file:/b']]);
  t.deepEqual(
    result.results.map((r) => `${r.id} ${r.outcome}`),
    ['n1/directory:/d applied', 'n1/file:/a applied', 'n1/file:/b failed', 'n1/file:/c skipped', 'n1/file:/e skipped'],
  );
  const journal = (await s.store.journalOf(result.runId)).map((e) => `${e.phase} ${e.changeId}`);
  t.deepEqual(journal.filter((l) => l.endsWith('/a') || l.endsWith('/b')), ['started n1/file:/a', 'started n1/file:/b', 'succeeded n1/file:/a', 'failed n1/file:/b']);
  // The managed record is updated before the level, for both of its changes; the level replaced their
  // one-by-one applies; after it, only the write that succeeded is confirmed.
  t.deepEqual(s.log, [
    'record n1 directory:/d hash-of-n1/directory:/d applyPending=true',
    'apply n1/directory:/d',
    'record n1 directory:/d (hash kept) applyPending=false',
    'record n1 file:/a hash-of-n1/file:/a applyPending=true',
    'record n1 file:/b hash-of-n1/file:/b applyPending=true',
    'record n1 file:/a (hash kept) applyPending=false',
  ]);
});

test('once stop is requested no further change begins: the one in flight finishes, the rest are skipped, the run ends interrupted', async (t) => {
  let stopping = false;
  const s = setup(['n1'], { during: async (c) => void (c.id === 'n1/file:/etc/app/a.conf' && (stopping = true)) });
  const plan = testPlan([
    change('n1/directory:/etc/app'),
    change('n1/file:/etc/app/a.conf', { dependsOn: ['n1/directory:/etc/app'] }),
    change('n1/file:/etc/app/b.conf', { dependsOn: ['n1/file:/etc/app/a.conf'] }),
  ]);
  const stop = { requested: (): ErrorRecord | undefined => (stopping ? { code: 'ControllerStopping', message: 'the controller is stopping' } : undefined) };
  const result = await applyPlan({ ...s.base, plan, stop });
  t.is(result.status, 'interrupted');
  t.deepEqual(s.log.filter((l) => l.startsWith('apply')), ['apply n1/directory:/etc/app', 'apply n1/file:/etc/app/a.conf']);
  t.deepEqual(
    (await s.store.journalOf(result.runId)).map((e) => `${e.phase} ${e.changeId} ${e.code ?? ''}`.trim()),
    ['started n1/directory:/etc/app', 'succeeded n1/directory:/etc/app', 'started n1/file:/etc/app/a.conf', 'succeeded n1/file:/etc/app/a.conf', 'skipped n1/file:/etc/app/b.conf ControllerStopping'],
  );
  t.is((await s.store.run(result.runId))?.status, 'interrupted');
  t.like(result.results[2], { outcome: 'skipped', cause: 'stopping' });
});
