import test from 'ava';
import { DEFAULT_ROLLOUT_POLICY } from '../spec/rollout-policy.js';
import { capGateOutput, GATE_OUTPUT_LIMIT } from './gate-output.js';
import { planRolloutIntents } from './rollout-planner.js';
import { simulateRollout, type RolloutOutcomes } from './rollout-simulator.js';
import type { RolloutState } from './rollout-state.js';

const members = ['n1', 'n2', 'n3', 'n4'].map((name) => ({ name, labels: {} }));
const intents = planRolloutIntents({ cluster: 'c', policy: DEFAULT_ROLLOUT_POLICY, members, disrupted: members.map((m) => m.name), unavailable: [] });
const simulate = (outcomes: RolloutOutcomes, state?: RolloutState) => simulateRollout({ intents, outcomes, replan: () => intents, ...(state ? { state } : {}) });
const changed = (events: ReturnType<typeof simulate>['events']) => events.filter((e) => e.type === 'node-changed' && e.message.includes('changed to')).map((e) => e.nodes![0]);

test('a later process resumes from the persisted state at the batch in flight, without running a batch that was done again', (t) => {
  const first = simulate({ revision: 'r2', operator: [{ action: 'pause', afterBatch: 2 }] });
  t.like(first.state, { status: 'paused', reason: 'PausedByOperator', batchesDone: [1, 2] });
  const persisted = JSON.parse(JSON.stringify(first.state)) as RolloutState;
  const second = simulate({ revision: 'r2', operator: [{ action: 'resume', waitSeconds: 60 }] }, persisted);
  t.deepEqual(changed(second.events), ['n3', 'n4']);
  t.like(second.state, { status: 'completed', batchesDone: [1, 2, 3, 4] });
});

test('a paused state given to a new process stays paused without an operator\'s resume', (t) => {
  const paused = simulate({ revision: 'r2', operator: [{ action: 'pause', afterBatch: 1 }] }).state;
  const again = simulate({ revision: 'r2' }, paused);
  t.deepEqual(changed(again.events), []);
  t.is(again.state.status, 'paused');
});

test('the failure budget survives a new process: a failure after the resume trips a budget the first process used up', (t) => {
  const withBudget = { ...intents, failureBudget: 1 };
  const run = (outcomes: RolloutOutcomes, state?: RolloutState) => simulateRollout({ intents: withBudget, outcomes, replan: () => withBudget, ...(state ? { state } : {}) });
  const first = run({ revision: 'r2', gates: [{ node: 'n1', result: 'fail' }], operator: [{ action: 'pause', afterBatch: 1 }] });
  // n1 failed but was tolerated; the operator paused, and says it is healthy again.
  t.deepEqual(first.state.budget, { used: 1, allowed: 1 });
  const second = run({ revision: 'r2', gates: [{ node: 'n3', result: 'fail' }], operator: [{ action: 'resume', waitSeconds: 1, recovered: ['n1'] }] }, first.state);
  t.like(second.state, { status: 'halted', reason: 'FailureBudgetExceeded', budget: { used: 2, allowed: 1 }, batchesDone: [1, 2, 3] });
});

test('gate output reaches the events and the state capped at 4 KiB, cut at a character', (t) => {
  const long = 'é'.repeat(3000); // 6000 bytes
  const capped = capGateOutput(long);
  t.true(Buffer.byteLength(capped.split('…')[0]!) <= GATE_OUTPUT_LIMIT);
  t.is(capped, `${'é'.repeat(2048)}… (1904 more bytes)`);
  t.is(capGateOutput(`x${long}`), `x${'é'.repeat(2047)}… (1906 more bytes)`);
  t.is(capGateOutput('short'), 'short');
  const { state, events } = simulate({ revision: 'r2', gates: [{ node: 'n1', result: 'fail', output: long }] });
  t.is(state.failed[0]!.gates[0]!.output, capped);
  t.true(events.every((e) => Buffer.byteLength(e.message) < 2 * GATE_OUTPUT_LIMIT));
});
