/**
 * Long delays on the system timers: setTimeout keeps at most 2^31-1 ms (24.8 days) and fires a longer delay
 * after 1 ms, which made a yearly drift schedule check drift in a tight loop. The timer API is the test's,
 * so what is asserted is which delays were asked for and when the task ran, never how long anything took.
 */
import test from 'ava';
import { longTimeout, MAX_TIMER_MS } from './clock.js';

function fakeTimers() {
  const pending: { ms: number; task: () => void; cleared: boolean }[] = [];
  const api = {
    set: (task: () => void, ms: number) => {
      const timer = { ms, task, cleared: false, unref: () => timer };
      pending.push(timer);
      return timer;
    },
    clear: (timer: { unref(): unknown }) => void ((timer as unknown as { cleared: boolean }).cleared = true),
  };
  /** Fires the newest timer not cleared; returns its delay. */
  const fire = (): number => {
    const timer = pending.filter((p) => !p.cleared).at(-1)!;
    timer.cleared = true;
    timer.task();
    return timer.ms;
  };
  return { api, pending, fire };
}

test('a delay longer than setTimeout keeps is waited in steps of at most 2^31-1 ms, the task run once at the end', (t) => {
  const fake = fakeTimers();
  let ran = 0;
  const year = 365 * 24 * 3_600_000;
  longTimeout(year, () => void ran++, { api: fake.api });
  const steps: number[] = [];
  while (ran === 0) steps.push(fake.fire());
  t.true(steps.every((ms) => ms <= MAX_TIMER_MS));
  t.is(steps.reduce((a, b) => a + b, 0), year, 'all of the delay is waited');
  t.is(steps.length, Math.ceil(year / MAX_TIMER_MS));
  t.is(ran, 1);
});

test('a short delay is one timeout; cancelling in the middle of a long one stops it', (t) => {
  const fake = fakeTimers();
  let ran = 0;
  longTimeout(5_000, () => void ran++, { api: fake.api });
  t.deepEqual(fake.pending.map((p) => p.ms), [5_000]);
  fake.fire();
  t.is(ran, 1);
  const cancel = longTimeout(3 * MAX_TIMER_MS, () => void ran++, { api: fake.api });
  fake.fire();
  cancel();
  t.deepEqual(fake.pending.filter((p) => !p.cleared), [], 'the next step cleared');
  t.is(ran, 1);
});
