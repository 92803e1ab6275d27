/**
 * Apply carrying out the plan's rollout intents, against FAKE kind effects and a FAKE managed record
 * (test/support/fake-apply.ts) and a real SQLite store in memory; real hosts in test/e2e/rollout-30-nodes.test.ts.
 */
import test from 'ava';
import { steppingClock } from '../clock.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { applyPlan, type ApplyEvent, type ApplyPlanOptions } from './apply-plan.js';
import { change, fakeManagedRecord, fakeNodes, fakeEffects, testPlan, unusedTransport, type FakeBehaviour } from '../../test/support/fake-apply.js';
import { registry } from '../../reconcilers/registry.js';

function setup(nodes: string[], behaviour: FakeBehaviour = {}, extra: Partial<ApplyPlanOptions> = {}) {
  const log: string[] = [];
  const events: ApplyEvent[] = [];
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  const effects = fakeEffects(log, behaviour);
  const base = {
    nodes: fakeNodes(nodes),
    transport: unusedTransport,
    registry,
    effects: effects.lookup,
    managedRecord: fakeManagedRecord(log),
    store,
    clock: steppingClock(),
    concurrency: 4,
    onEvent: (e: ApplyEvent) => events.push(e),
    ...extra,
  };
  return { log, events, store, base };
}

test('only disruptive changes and what they wait for on their node go batch by batch; the rest is not held back', async (t) => {
  const s = setup(['n1', 'n2']);
  const changes = ['n1', 'n2'].flatMap((n) => [
    change(`${n}/file:/etc/app.conf`, { action: 'update', cluster: 'app' }),
    change(`${n}/service:app#restart`, { action: 'restart', disruptive: true, cluster: 'app', dependsOn: [`${n}/file:/etc/app.conf`] }),
    change(`${n}/file:/etc/motd`, { action: 'update', cluster: 'app' }),
  ]);
  const result = await applyPlan({ ...s.base, plan: testPlan(changes, [{ cluster: 'app', batches: [['n1'], ['n2']], failureBudget: 0 }]) });
  t.is(result.status, 'succeeded');
  const log = s.log.filter((l) => !l.startsWith('record'));
  const at = (line: string) => log.indexOf(line);
  t.true(at('apply n2/file:/etc/motd') < at('health n1'), 'the unrelated file of batch 2 does not wait for batch 1');
  t.true(at('apply n2/file:/etc/app.conf') > at('health n1'), 'the file the restart is for goes in the restart\'s batch');
  t.true(at('apply n2/service:app#restart') > at('health n1'));
});
