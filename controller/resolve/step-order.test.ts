import test from 'ava';
import { ClusterStep } from '../spec/schema.js';
import { orderSteps } from './step-order.js';

const step = (name: string, uses: string[] = []) =>
  ClusterStep.parse({ name, module: 'm', with: Object.fromEntries(uses.map((u, i) => [`in${i}`, { output: `${u}.out` }])) });

test('steps come after the steps whose outputs they read; otherwise declaration order', (t) => {
  t.deepEqual(orderSteps([step('lb', ['etcd']), step('base'), step('etcd', ['base'])]), { ok: true, order: [1, 2, 0] });
  t.deepEqual(orderSteps([step('a'), step('b'), step('c')]), { ok: true, order: [0, 1, 2] });
});

test('a cycle is reported with the steps in it, by index', (t) => {
  t.deepEqual(orderSteps([step('base'), step('a', ['b']), step('b', ['a'])]), { ok: false, order: [0], blocked: [1, 2], cycle: [1, 2] });
});

test('references to unknown steps do not block ordering', (t) => {
  t.deepEqual(orderSteps([step('a', ['ghost'])]), { ok: true, order: [0] });
});
