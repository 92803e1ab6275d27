import test from 'ava';
import { backoff, retryAfter } from './backoff.js';

const policy = { baseMs: 1000, maxMs: 8000 };

test('a failure backs off between half the cap and the cap, the cap doubling per attempt up to the maximum', (t) => {
  const low = () => 0;
  const high = () => 0.999;
  t.deepEqual([0, 1, 2, 3, 4, 10].map((a) => backoff(a, low, policy)), [500, 1000, 2000, 4000, 4000, 4000]);
  t.deepEqual([0, 1, 2, 3, 4].map((a) => backoff(a, high, policy)), [1000, 1999, 3998, 7996, 7996]);
});

test('the jitter is the random source\'s: two draws give two delays within the bounds', (t) => {
  const draws = [0.25, 0.75];
  const random = () => draws.shift() ?? 0;
  t.deepEqual([backoff(2, random, policy), backoff(2, random, policy)], [2500, 3500]);
});

test('only a failure backs off; a wait retries after its own delay; success and a stall do not retry by themselves', (t) => {
  const random = () => 0.5;
  t.is(retryAfter({ type: 'fail', step: 'observe', error: new Error('x') }, 1, random, policy), 1500);
  t.is(retryAfter({ type: 'wait', step: 'apply-locks', afterMs: 30_000, code: 'SiteLocked', message: 'held' }, 5, random, policy), 30_000);
  t.is(retryAfter({ type: 'stall', step: 'load', code: 'RevisionInvalid', message: 'no' }, 0, random, policy), null);
  t.is(retryAfter({ type: 'done' }, 0, random, policy), null);
});
