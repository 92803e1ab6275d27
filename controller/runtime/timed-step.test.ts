import test from 'ava';
import { steppingClock } from '../clock.js';
import { runSteps } from './reconcile.js';
import { proceed, type ReconcileStep } from './reconcile-step.js';
import { timedStep } from './timed-step.js';

const step = (name: string, run: () => Promise<void> = () => Promise.resolve()): ReconcileStep<number, null> => ({
  name,
  async run(state) {
    await run();
    return proceed(state + 1);
  },
});

test('each step reports its duration when it ends, in order, also when it throws; the result is the step’s own', async (t) => {
  const timed: [string, number][] = [];
  // Every read of this clock moves it by 250 ms: each step's start and end are one read apart.
  const clock = steppingClock('2025-01-01T00:00:00.000Z', 250);
  const onTimed = (name: string, ms: number) => void timed.push([name, ms]);
  const steps = [step('fetch-revision'), step('observe'), step('apply', () => Promise.reject(new Error('node1 is gone')))].map((s) => timedStep(s, clock, onTimed));
  const reconciled = await runSteps(steps, 0, null);
  t.deepEqual(timed, [['fetch-revision', 250], ['observe', 250], ['apply', 250]]);
  t.like(reconciled, { outcome: { type: 'fail', step: 'apply' }, state: 2 });
});
