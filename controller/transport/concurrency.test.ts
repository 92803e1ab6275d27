import test from 'ava';
import { Limiter } from './concurrency.js';

test('never runs more than the limit and serves waiters in arrival order', async (t) => {
  const limiter = new Limiter(2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      limiter.run(async () => {
        order.push(i);
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
      }),
    ),
  );
  t.is(peak, 2);
  t.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
  t.is(limiter.inFlight, 0);
});

test('a failing task releases its slot', async (t) => {
  const limiter = new Limiter(1);
  await t.throwsAsync(limiter.run(() => Promise.reject(new Error('boom'))));
  t.is(await limiter.run(() => Promise.resolve(7)), 7);
});

test('rejects a non-positive limit', (t) => {
  t.throws(() => new Limiter(0), { instanceOf: RangeError });
});
