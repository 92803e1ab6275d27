import test from 'ava';
import { byCodeUnit } from './order.js';

test('orders like a comparator-less sort, upper case before lower, whatever the locale', (t) => {
  const words = ['b', 'B', 'a', 'A', 'é', 'e', '10', '9', '', 'ab', 'a'];
  t.deepEqual([...words].sort(byCodeUnit), [...words].sort());
  t.deepEqual(['b', 'a', 'B', 'A'].sort(byCodeUnit), ['A', 'B', 'a', 'b']);
  t.deepEqual(['é', 'f', 'e'].sort(byCodeUnit), ['e', 'f', 'é']);
});

test('equal strings compare as 0, so sorts stay stable', (t) => {
  t.is(byCodeUnit('x', 'x'), 0);
  t.is(byCodeUnit('a', 'b'), -1);
  t.is(byCodeUnit('b', 'a'), 1);
  const pairs = [['k', 1], ['j', 2], ['k', 3]] as const;
  t.deepEqual([...pairs].sort(([a], [b]) => byCodeUnit(a, b)), [['j', 2], ['k', 1], ['k', 3]]);
});

test('an astral character sorts by its surrogates, as Object.keys(...).sort() and canonical JSON do', (t) => {
  const emoji = '\u{1F600}';
  const privateUse = '\uE000';
  t.deepEqual([privateUse, emoji].sort(byCodeUnit), [emoji, privateUse]);
  t.deepEqual([privateUse, emoji].sort(byCodeUnit), [privateUse, emoji].sort());
});
