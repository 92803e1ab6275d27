import test from 'ava';
import { MAX_TIMEOUT_MS, waitInParts } from './clock.js';

/** A setTimeout that records each delay and runs its callbacks only when the test says. */
function recordingSetTimeout() {
  const delays: number[] = [];
  const pending: (() => void)[] = [];
  const set = (fn: () => void, ms: number) => {
    delays.push(ms);
    pending.push(fn);
    return { unref: () => undefined };
  };
  return { delays, set, fireNext: () => pending.shift()?.() };
}

test('a wait longer than setTimeout can hold is waited in parts, and the task runs once, after the last', (t) => {
  const timers = recordingSetTimeout();
  let ran = 0;
  const year = 365 * 24 * 3600 * 1000;
  waitInParts(year, () => ran++, () => undefined, { setTimeout: timers.set });
  t.deepEqual(timers.delays, [MAX_TIMEOUT_MS]);
  for (let i = 0; i < 100 && ran === 0; i++) timers.fireNext();
  t.is(ran, 1);
  t.is(timers.delays.length, Math.ceil(year / MAX_TIMEOUT_MS));
  t.is(timers.delays.reduce((a, b) => a + b, 0), year, 'the parts add up to the wait asked for');
  t.true(timers.delays.every((d) => d <= MAX_TIMEOUT_MS));
});

test('a wait that fits is one timer', (t) => {
  const timers = recordingSetTimeout();
  let ran = 0;
  waitInParts(5000, () => ran++, () => undefined, { setTimeout: timers.set });
  t.deepEqual(timers.delays, [5000]);
  timers.fireNext();
  t.is(ran, 1);
});
