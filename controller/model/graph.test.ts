import test from 'ava';
import { findCycles, indexDependencies, Readiness, topologicalOrder } from './graph.js';

test('topological order: dependencies first; among ready items the one given first', (t) => {
  // 0 needs 2, 2 needs 1: 1 is the only one ready at first.
  t.deepEqual(topologicalOrder([[2], [], [1]]), { ok: true, order: [1, 2, 0] });
  t.deepEqual(topologicalOrder([[], [], []]), { ok: true, order: [0, 1, 2] });
  // Earliest ready first, not depth first: 3 becomes ready before 1 is placed, but 1 was given first.
  t.deepEqual(topologicalOrder([[], [0], [], [2]]), { ok: true, order: [0, 1, 2, 3] });
  t.deepEqual(topologicalOrder([[3], [], [], [1]]), { ok: true, order: [1, 2, 3, 0] });
  t.deepEqual(topologicalOrder([]), { ok: true, order: [] });
});

test('a repeated edge counts once per mention and still orders', (t) => {
  t.deepEqual(topologicalOrder([[1, 1], []]), { ok: true, order: [1, 0] });
});

test('a cycle is named in dependency order, from the first blocked item; what waits on it is blocked too', (t) => {
  // 1 -> 2 -> 3 -> 1, 4 waits on the cycle, 0 is free.
  const r = topologicalOrder([[], [2], [3], [1], [3]]);
  t.deepEqual(r, { ok: false, order: [0], blocked: [1, 2, 3, 4], cycle: [1, 2, 3] });
  // The walk leaves the item it starts from when that only waits on the cycle.
  const waiting = topologicalOrder([[1], [2], [1]]);
  t.deepEqual(waiting, { ok: false, order: [], blocked: [0, 1, 2], cycle: [1, 2] });
  t.deepEqual(topologicalOrder([[0]]), { ok: false, order: [], blocked: [0], cycle: [0] });
});

test('a long chain is ordered without deep recursion', (t) => {
  const n = 200_000;
  const deps = Array.from({ length: n }, (_, i) => (i + 1 < n ? [i + 1] : []));
  const r = topologicalOrder(deps);
  t.true(r.ok);
  if (r.ok) t.is(r.order[0], n - 1);
  deps[n - 1] = [0];
  const cyclic = topologicalOrder(deps);
  t.false(cyclic.ok);
  if (!cyclic.ok) t.is(cyclic.cycle.length, n);
});

test('ids become index edges; unknown ids and repeated ids are set apart for the caller', (t) => {
  const ids = ['a', 'b', 'a', 'c'];
  const deps: Record<number, string[]> = { 0: ['b', 'ghost'], 1: ['a'], 3: ['c'] };
  t.deepEqual(indexDependencies(ids, (i) => deps[i] ?? []), {
    dependsOn: [[1], [2], [], [3]],
    unknown: [{ from: 0, id: 'ghost' }],
    duplicates: [2],
  });
});

test('readiness tells which items each completion frees', (t) => {
  const readiness = new Readiness([[], [0], [0, 1], []]);
  t.deepEqual(readiness.initial(), [0, 3]);
  t.deepEqual(readiness.complete(3), []);
  t.deepEqual(readiness.complete(0), [1]);
  t.deepEqual(readiness.complete(1), [2]);
});

test('findCycles reports each loop once, as the edges that close it, whichever member the search starts from', (t) => {
  type E = { to: number; label: string };
  const edges: E[][] = [[{ to: 1, label: '0>1' }], [{ to: 2, label: '1>2' }], [{ to: 0, label: '2>0' }, { to: 3, label: '2>3' }], [{ to: 3, label: '3>3' }], [{ to: 1, label: '4>1' }]];
  const cycles = findCycles(edges.length, (i) => edges[i]!);
  t.deepEqual(
    cycles.map((c) => c.map((s) => [s.from, s.edge.label])),
    [
      [[0, '0>1'], [1, '1>2'], [2, '2>0']],
      [[3, '3>3']],
    ],
  );
  t.deepEqual(findCycles(3, () => []), []);
});

test('two loops through one item are two reports', (t) => {
  const edges = [[{ to: 1 }, { to: 2 }], [{ to: 0 }], [{ to: 0 }]];
  t.deepEqual(
    findCycles(3, (i) => edges[i]!).map((c) => c.map((s) => s.from)),
    [[0, 1], [0, 2]],
  );
});
