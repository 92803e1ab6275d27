import test from 'ava';
import { KeyedQueue } from './keyed-queue.js';

/** A task whose end the test decides, recording when it starts. */
function gate(log: string[], name: string): { task: () => Promise<string>; open: () => void; fail: (e: Error) => void } {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    open = () => resolve(name);
    fail = reject;
  });
  return {
    task: () => {
      log.push(`start ${name}`);
      return done;
    },
    open,
    fail,
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('tasks of one key run one after another, in the order they came', async (t) => {
  const queue = new KeyedQueue();
  const log: string[] = [];
  const a = gate(log, 'a');
  const b = gate(log, 'b');
  const ra = queue.run('node1', a.task);
  const rb = queue.run('node1', b.task);
  await tick();
  t.deepEqual(log, ['start a']);
  a.open();
  t.is(await ra, 'a');
  await tick();
  t.deepEqual(log, ['start a', 'start b']);
  b.open();
  t.is(await rb, 'b');
});

test('different keys run at the same time', async (t) => {
  const queue = new KeyedQueue();
  const log: string[] = [];
  const a = gate(log, 'a');
  const b = gate(log, 'b');
  const results = [queue.run('node1', a.task), queue.run('node2', b.task)];
  await tick();
  t.deepEqual(log, ['start a', 'start b']);
  a.open();
  b.open();
  t.deepEqual(await Promise.all(results), ['a', 'b']);
});

test('a failed task rejects its own caller only; the next task of the key still runs', async (t) => {
  const queue = new KeyedQueue();
  const log: string[] = [];
  const a = gate(log, 'a');
  const b = gate(log, 'b');
  const ra = queue.run('site', a.task);
  const rb = queue.run('site', b.task);
  a.fail(new Error('boom'));
  await t.throwsAsync(ra, { message: 'boom' });
  await tick();
  t.deepEqual(log, ['start a', 'start b']);
  b.open();
  t.is(await rb, 'b');
});

test('a task that throws synchronously is a rejection, not a crash of the queue', async (t) => {
  const queue = new KeyedQueue();
  await t.throwsAsync(
    queue.run('k', () => {
      throw new Error('sync');
    }),
    { message: 'sync' },
  );
  t.is(await queue.run('k', () => Promise.resolve(1)), 1);
});

test('a key is forgotten once its last task settles', async (t) => {
  const queue = new KeyedQueue();
  const log: string[] = [];
  const a = gate(log, 'a');
  const ra = queue.run('n', a.task);
  t.is(queue.busyKeys, 1);
  a.open();
  await ra;
  await tick();
  t.is(queue.busyKeys, 0);
});
