import test from 'ava';
import { KeyedQueue } from '../model/keyed-queue.js';
import { runReconcile, runSteps, resultOf, type Reconciled } from './reconcile.js';
import type { ReconcileStep, StepResult } from './reconcile-step.js';

interface Trail {
  ran: string[];
}

interface FakeDeps {
  queue: KeyedQueue;
  status: { write(site: string, reconciled: Reconciled<Trail>): Promise<void> };
  written: { site: string; reconciled: Reconciled<Trail> }[];
}

const deps = (): FakeDeps => {
  const written: FakeDeps['written'] = [];
  return { queue: new KeyedQueue(), written, status: { write: async (site, reconciled) => void written.push({ site, reconciled }) } };
};

/** A step that records itself in the state, then answers `answer` (continue by default). */
const step = (name: string, answer?: (state: Trail) => StepResult<Trail>): ReconcileStep<Trail, FakeDeps> => ({
  name,
  async run(state) {
    const next = { ran: [...state.ran, name] };
    return answer ? answer(next) : { type: 'continue', state: next };
  },
});

const scope = { site: 'lab', state: { ran: [] } };

test('the steps run in order, each from the state the one before left, and status is written once at the end', async (t) => {
  const d = deps();
  const reconciled = await runReconcile(scope, [step('fetch'), step('load'), step('plan')], d);
  t.deepEqual(reconciled, { outcome: { type: 'done' }, state: { ran: ['fetch', 'load', 'plan'] } });
  t.deepEqual(d.written, [{ site: 'lab', reconciled }]);
});

const stops: [string, (state: Trail) => StepResult<Trail>, Reconciled<Trail>['outcome']][] = [
  ['stall', (state) => ({ type: 'stall', code: 'RevisionInvalid', message: 'no', state }), { type: 'stall', step: 'load', code: 'RevisionInvalid', message: 'no' }],
  ['wait', (state) => ({ type: 'wait', afterMs: 5000, code: 'SiteLocked', message: 'held', state }), { type: 'wait', step: 'load', afterMs: 5000, code: 'SiteLocked', message: 'held' }],
  ['fail', (state) => ({ type: 'fail', error: 'boom', state }), { type: 'fail', step: 'load', error: 'boom' }],
];

for (const [answer, result, outcome] of stops) {
  test(`a step that answers ${answer} stops the reconcile there, keeps the state it handed back, and status is written once`, async (t) => {
    const d = deps();
    const reconciled = await runReconcile(scope, [step('fetch'), step('load', result), step('plan')], d);
    t.deepEqual(reconciled, { outcome, state: { ran: ['fetch', 'load'] } });
    t.is(d.written.length, 1);
    t.deepEqual(d.written[0]?.reconciled.outcome, outcome);
  });
}

test('a step that throws fails the reconcile with what it threw, from the state before it; status is still written once', async (t) => {
  const d = deps();
  const error = Object.assign(new Error('no route to host'), { code: 'Unreachable' });
  const throwing: ReconcileStep<Trail, FakeDeps> = { name: 'observe', run: () => Promise.reject(error) };
  const reconciled = await runReconcile(scope, [step('fetch'), throwing, step('plan')], d);
  t.is(reconciled.outcome.type, 'fail');
  t.is(reconciled.outcome.type === 'fail' ? reconciled.outcome.error : undefined, error);
  t.like(reconciled.outcome, { step: 'observe' });
  t.deepEqual(reconciled.state, { ran: ['fetch'] });
  t.is(d.written.length, 1);
});

test('a step running inner steps reports the inner step that stopped, with the state it left', async (t) => {
  const d = deps();
  const group: ReconcileStep<Trail, FakeDeps> = {
    name: 'locked',
    async run(state, inner) {
      const done = await runSteps([step('observe'), step('apply', (s) => ({ type: 'stall', code: 'RolloutHalted', message: 'budget', state: s }))], state, inner);
      return resultOf(done.outcome, done.state);
    },
  };
  const reconciled = await runReconcile(scope, [step('load'), group, step('after')], d);
  t.deepEqual(reconciled, { outcome: { type: 'stall', step: 'apply', code: 'RolloutHalted', message: 'budget' }, state: { ran: ['load', 'observe', 'apply'] } });
});

test('reconciles of one site run one after the other; another site does not wait for them', async (t) => {
  const d = deps();
  const events: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const blocking = (label: string): ReconcileStep<Trail, FakeDeps> => ({
    name: label,
    async run(state) {
      events.push(`${label} start`);
      await gate;
      events.push(`${label} end`);
      return { type: 'continue', state };
    },
  });
  const quick = (label: string): ReconcileStep<Trail, FakeDeps> => ({
    name: label,
    async run(state) {
      events.push(label);
      return { type: 'continue', state };
    },
  });
  const first = runReconcile(scope, [blocking('lab-1')], d);
  const second = runReconcile(scope, [quick('lab-2')], d);
  await runReconcile({ site: 'edge', state: { ran: [] } }, [quick('edge-1')], d);
  t.deepEqual(events, ['lab-1 start', 'edge-1'], 'the other site ran while the first reconcile of lab waited; the second of lab did not start');
  release();
  await Promise.all([first, second]);
  t.deepEqual(events, ['lab-1 start', 'edge-1', 'lab-1 end', 'lab-2']);
  t.deepEqual(d.written.map((w) => w.site), ['edge', 'lab', 'lab']);
});
