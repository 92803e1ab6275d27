/** /metrics scraped over HTTP and parsed, after reconciles whose outcomes the test chose. */
import test from 'ava';
import type { ChangeSet } from '../apply/change-set.js';
import { configText, fakePlan, startControllerHarness } from '../../test/support/controller-harness.js';
import { parsePrometheusText, sampleValue } from '../../test/support/prometheus-text.js';
import { startRolloutState } from '../rollout/rollout-state.js';

const SITES = `  - name: lab
    source: { repository: /srv/lab }
  - name: edge
    source: { repository: /srv/edge }
`;

const changeSet = (status: ChangeSet['status'], conditions: ChangeSet['conditions'] = []): ChangeSet => ({ runId: 1, planHash: 'p', status, results: [], nodes: {}, conditions });

test('reconcile durations by outcome, the last applied revision, breaker state, queue depth and the heartbeat', async (t) => {
  const h = await startControllerHarness(configText(SITES));
  t.teardown(() => h.close());
  const scrape = async () => parsePrometheusText(await (await fetch(`${h.api.url}/metrics`)).text());

  const before = await scrape();
  t.is(sampleValue(before, 'underlay_reconcile_queue_depth', { site: 'lab' }), 1, 'the first reconcile of lab runs');
  t.is(sampleValue(before, 'underlay_controller_heartbeat_timestamp_seconds'), Date.parse('2025-01-01T00:00:00Z') / 1000);

  await h.time.advance(2_500);
  const [lab, edge] = [h.open.find((c) => c.site === 'lab')!, h.open.find((c) => c.site === 'edge')!];
  const plan = { ...fakePlan('p', 'abc123'), rollout: [{ cluster: 'etcd' }, { cluster: 'web' }] } as unknown as ReturnType<typeof fakePlan>;
  await lab.finish((state) => ({
    type: 'stall',
    code: 'RolloutHalted',
    message: 'budget',
    state: { ...state, plan, changeSet: changeSet('halted', [{ type: 'RolloutHalted', reason: 'TooManyUnhealthy', message: 'budget', cluster: 'etcd' }]) },
  }));
  await edge.finish((state) => ({ type: 'continue', state: { ...state, plan: fakePlan('q', 'def456'), changeSet: changeSet('succeeded') } }));
  await h.time.advance(15_000);

  const after = await scrape();
  t.is(sampleValue(after, 'underlay_reconcile_duration_seconds_count', { site: 'lab', outcome: 'stall' }), 1);
  t.is(sampleValue(after, 'underlay_reconcile_duration_seconds_sum', { site: 'lab', outcome: 'stall' }), 2.5, 'measured on the injected clock');
  t.is(sampleValue(after, 'underlay_reconcile_duration_seconds_bucket', { site: 'lab', outcome: 'stall', le: '2.5' }), 1);
  t.is(sampleValue(after, 'underlay_reconcile_duration_seconds_bucket', { site: 'lab', outcome: 'stall', le: '1' }), 0);
  t.is(sampleValue(after, 'underlay_reconciles_total', { site: 'lab', outcome: 'stall', code: 'RolloutHalted' }), 1);
  t.is(sampleValue(after, 'underlay_reconciles_total', { site: 'edge', outcome: 'done' }), 1);
  t.is(sampleValue(after, 'underlay_last_applied_revision_info', { site: 'edge', revision: 'def456' }), 1);
  t.throws(() => sampleValue(after, 'underlay_last_applied_revision_info', { site: 'lab' }), undefined, 'a halted run applied no revision');
  t.is(sampleValue(after, 'underlay_circuit_breaker_tripped', { site: 'lab', cluster: 'etcd' }), 1);
  t.is(sampleValue(after, 'underlay_circuit_breaker_tripped', { site: 'lab', cluster: 'web' }), 0);
  t.is(sampleValue(after, 'underlay_reconcile_queue_depth', { site: 'lab' }), 0);
  t.is(sampleValue(after, 'underlay_controller_heartbeat_timestamp_seconds'), Date.parse('2025-01-01T00:00:15Z') / 1000, 'beats every 15 s of the clock');
});

test('the breaker gauge stays 1 while apply refuses a rollout halted in the store (no run, no change set)', async (t) => {
  const h = await startControllerHarness(configText(SITES));
  t.teardown(() => h.close());
  const store = h.daemon.site('lab')!.store;
  const halted = { ...startRolloutState({ cluster: 'etcd', revision: 'abc123', failureBudget: 0 }), status: 'halted' as const, reason: 'FailureBudgetExceeded' };
  await store.changeRolloutState('etcd', () => ({ state: halted }));
  await h.time.advance(2_500);
  const plan = { ...fakePlan('p', 'abc123'), rollout: [{ cluster: 'etcd' }] } as unknown as ReturnType<typeof fakePlan>;
  await h.open.find((c) => c.site === 'lab')!.finish((state) => ({ type: 'stall', code: 'RolloutHalted', message: 'refused', state: { ...state, plan } }));
  const after = parsePrometheusText(await (await fetch(`${h.api.url}/metrics`)).text());
  t.is(sampleValue(after, 'underlay_circuit_breaker_tripped', { site: 'lab', cluster: 'etcd' }), 1);
});
