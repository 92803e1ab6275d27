import test from 'ava';
import { DependencyCycle, walkGraph, type WalkItem, type WalkOutcome } from './graph-walk.js';

const tick = (ms = 1): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A visitor that records start/end order and the peak of concurrent laned visits. */
function recorder(fail: string[] = []) {
  const events: string[] = [];
  let current = 0;
  let peak = 0;
  const visit = async (item: WalkItem, blocked: string | null): Promise<WalkOutcome> => {
    if (blocked) {
      events.push(`skip ${item.id} (${blocked})`);
      return { status: 'skipped', reason: blocked };
    }
    if (item.lane) peak = Math.max(peak, ++current);
    events.push(`start ${item.id}`);
    await tick(2);
    events.push(`end ${item.id}`);
    if (item.lane) current--;
    return fail.includes(item.id) ? { status: 'failed', error: 'boom' } : { status: 'succeeded' };
  };
  return { events, visit, peak: () => peak };
}

test('an item starts only after all its dependencies succeeded', async (t) => {
  const r = recorder();
  const items: WalkItem[] = [
    { id: 'a/svc', dependsOn: ['a/conf', 'a/dir'], lane: 'a' },
    { id: 'a/conf', dependsOn: ['a/dir'], lane: 'a' },
    { id: 'a/dir', dependsOn: [], lane: 'a' },
  ];
  await walkGraph({ items, concurrency: 4, visit: r.visit });
  t.deepEqual(r.events, ['start a/dir', 'end a/dir', 'start a/conf', 'end a/conf', 'start a/svc', 'end a/svc']);
});

test('concurrency bounds laned items across nodes; one item at a time per node', async (t) => {
  const items: WalkItem[] = [];
  for (let n = 0; n < 6; n++) for (let k = 0; k < 3; k++) items.push({ id: `n${n}/${k}`, dependsOn: [], lane: `n${n}` });
  const r = recorder();
  const outcomes = await walkGraph({ items, concurrency: 3, visit: r.visit });
  t.is(r.peak(), 3);
  t.is(outcomes.size, 18);
  // Per node, the three items never overlap and keep input order.
  for (let n = 0; n < 6; n++) {
    const mine = r.events.filter((e) => e.includes(`n${n}/`));
    t.deepEqual(mine, [0, 1, 2].flatMap((k) => [`start n${n}/${k}`, `end n${n}/${k}`]));
  }
});

test('concurrency 1 runs everything serially in input order when nothing depends on anything', async (t) => {
  const items: WalkItem[] = ['b/1', 'a/1', 'c/1'].map((id) => ({ id, dependsOn: [], lane: id.slice(0, 1) }));
  const r = recorder();
  await walkGraph({ items, concurrency: 1, visit: r.visit });
  t.deepEqual(r.events.filter((e) => e.startsWith('start')), ['start b/1', 'start a/1', 'start c/1']);
  t.is(r.peak(), 1);
});

test('a failure skips its dependents transitively, with the reason, and leaves independent items alone', async (t) => {
  const items: WalkItem[] = [
    { id: 'a/1', dependsOn: [], lane: 'a' },
    { id: 'a/2', dependsOn: ['a/1'], lane: 'a' },
    { id: 'b/1', dependsOn: ['a/2'], lane: 'b' },
    { id: 'c/1', dependsOn: [], lane: 'c' },
  ];
  const r = recorder(['a/1']);
  const outcomes = await walkGraph({ items, concurrency: 2, visit: r.visit });
  t.deepEqual(Object.fromEntries(outcomes), {
    'a/1': { status: 'failed', error: 'boom' },
    'a/2': { status: 'skipped', reason: 'dependency failed: a/1' },
    'b/1': { status: 'skipped', reason: 'dependency skipped: a/2' },
    'c/1': { status: 'succeeded' },
  });
});

test('afterSettled items run once dependencies ended, whatever their outcome', async (t) => {
  const items: WalkItem[] = [
    { id: 'a/1', dependsOn: [], lane: 'a' },
    { id: 'b/1', dependsOn: [], lane: 'b' },
    { id: 'gate', dependsOn: ['a/1', 'b/1'], afterSettled: true },
    { id: 'c/1', dependsOn: ['gate'], lane: 'c' },
  ];
  const r = recorder(['a/1']);
  const outcomes = await walkGraph({ items, concurrency: 2, visit: r.visit });
  t.deepEqual(outcomes.get('gate'), { status: 'succeeded' });
  t.deepEqual(outcomes.get('c/1'), { status: 'succeeded' });
  t.true(r.events.indexOf('start gate') > r.events.indexOf('end a/1'));
  t.true(r.events.indexOf('start gate') > r.events.indexOf('end b/1'));
});

test('dependencies outside the walk count as done', async (t) => {
  const r = recorder();
  const outcomes = await walkGraph({ items: [{ id: 'a/1', dependsOn: ['elsewhere'], lane: 'a' }], concurrency: 1, visit: r.visit });
  t.deepEqual(outcomes.get('a/1'), { status: 'succeeded' });
});

test('a cycle is refused before anything runs, naming its members', async (t) => {
  const r = recorder();
  const items: WalkItem[] = [
    { id: 'x', dependsOn: [], lane: 'a' },
    { id: 'p', dependsOn: ['q'], lane: 'a' },
    { id: 'q', dependsOn: ['p'], lane: 'a' },
  ];
  const error = await t.throwsAsync(() => walkGraph({ items, concurrency: 1, visit: r.visit }), { instanceOf: DependencyCycle, code: 'DependencyCycle' });
  t.deepEqual(error?.data.ids, ['p', 'q']);
  t.deepEqual(r.events, []);
});

test('a visitor that throws aborts the walk after running items end, starting nothing new', async (t) => {
  const started: string[] = [];
  const items: WalkItem[] = [
    { id: 'a/1', dependsOn: [], lane: 'a' },
    { id: 'b/1', dependsOn: [], lane: 'b' },
    { id: 'a/2', dependsOn: [], lane: 'a' },
  ];
  await t.throwsAsync(
    () =>
      walkGraph({
        items,
        concurrency: 2,
        visit: async (item) => {
          started.push(item.id);
          await tick(item.id === 'b/1' ? 10 : 1);
          if (item.id === 'a/1') throw new Error('journal unwritable');
          return { status: 'succeeded' };
        },
      }),
    { message: 'journal unwritable' },
  );
  t.deepEqual(started, ['a/1', 'b/1']);
});

test('an empty graph completes', async (t) => {
  t.is((await walkGraph({ items: [], concurrency: 1, visit: () => Promise.reject(new Error('never')) })).size, 0);
});
