/** The site worker's queue: one running, one pending, the rest coalesced; retries and resync on the injected timers. */
import test from 'ava';
import { manualTime } from '../../test/support/manual-timers.js';
import { SiteWorker } from './site-worker.js';

/** A reconcile that waits for the test to finish it, recording each start. */
function gatedWorker(options: { intervalMs?: number; retry?: (r: string | undefined) => number | null } = {}) {
  const time = manualTime();
  const starts: number[] = [];
  const open: ((r: string) => void)[] = [];
  const settled: (string | undefined)[] = [];
  const worker = new SiteWorker<string>({
    reconcile: () => {
      starts.push(starts.length + 1);
      return new Promise((resolve) => open.push(resolve));
    },
    retryAfter: (r) => options.retry?.(r) ?? null,
    failed: (r) => r === 'fail',
    intervalMs: options.intervalMs ?? 600_000,
    timers: time.timers,
    onSettled: (r) => void settled.push(r),
  });
  const finish = async (result = 'done'): Promise<void> => {
    open.shift()?.(result);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  return { worker, starts, finish, settled, time };
}

test('a request while a reconcile runs queues one more; every request after that coalesces into it', async (t) => {
  const { worker, starts, finish } = gatedWorker();
  t.is(worker.request(), 'started');
  t.is(worker.depth, 1);
  t.deepEqual([worker.request(), worker.request(), worker.request()], ['queued', 'coalesced', 'coalesced']);
  t.is(worker.depth, 2, 'at most one running and one pending');
  await finish();
  t.deepEqual(starts, [1, 2], 'the pending one started as soon as the first ended');
  t.is(worker.depth, 1);
  t.is(worker.request(), 'queued', 'a request during the follow-up queues again');
  await finish();
  await finish();
  t.deepEqual(starts, [1, 2, 3], 'three reconciles for five requests');
  t.is(worker.depth, 0);
});

test('after a reconcile the next is scheduled: the retry the result asks for, else the resync interval', async (t) => {
  const { worker, starts, finish, time } = gatedWorker({ intervalMs: 60_000, retry: (r) => (r === 'fail' ? 5_000 : null) });
  worker.request();
  await finish('fail');
  await time.advance(4_999);
  t.deepEqual(starts, [1]);
  await time.advance(1);
  t.deepEqual(starts, [1, 2], 'retried after the backoff');
  await finish('done');
  await time.advance(59_999);
  t.deepEqual(starts, [1, 2]);
  await time.advance(1);
  t.deepEqual(starts, [1, 2, 3], 'resynced after the interval');
});

test('a request started by hand replaces the scheduled one instead of adding to it', async (t) => {
  const { worker, starts, finish, time } = gatedWorker({ intervalMs: 60_000 });
  worker.request();
  await finish();
  await time.advance(30_000);
  worker.request();
  await finish();
  await time.advance(30_000);
  t.deepEqual(starts, [1, 2], 'the first interval timer was cancelled by the reconcile started by hand');
  await time.advance(30_000);
  t.deepEqual(starts, [1, 2, 3]);
});

test('a suspended worker starts nothing, drops its pending and scheduled reconciles, and resume starts one', async (t) => {
  const { worker, starts, finish, time } = gatedWorker({ intervalMs: 1_000 });
  worker.request();
  worker.request();
  worker.suspend();
  await finish();
  t.deepEqual(starts, [1], 'the pending one was dropped');
  t.is(worker.request(), 'suspended');
  await time.advance(10_000);
  t.deepEqual(starts, [1], 'nothing scheduled while suspended');
  t.is(worker.resume(), 'started');
  t.deepEqual(starts, [1, 2]);
  await finish();
});

test('stop waits for the running reconcile and starts nothing after it', async (t) => {
  const { worker, starts, finish, time } = gatedWorker({ intervalMs: 1_000 });
  worker.request();
  worker.request();
  let stopped = false;
  const stopping = worker.stop().then(() => (stopped = true));
  await new Promise((r) => setImmediate(r));
  t.false(stopped, 'still waiting for the running reconcile');
  await finish();
  await stopping;
  await time.advance(10_000);
  t.deepEqual(starts, [1]);
  t.is(worker.request(), 'stopped');
});
