import test from 'ava';
import { nameRanges, nameRuns } from './name-ranges.js';

test('numbered names that follow each other are one range, in number order whatever order they came in', (t) => {
  const names = Array.from({ length: 40 }, (_, i) => `node${String(40 - i).padStart(2, '0')}`);
  t.is(nameRanges(names), 'node01…node40');
  t.deepEqual(nameRuns(names), [{ first: 'node01', last: 'node40', count: 40 }]);
});

test('a gap splits the range; two in a row are both written; singles stay single', (t) => {
  t.is(nameRanges(['node01', 'node02', 'node03', 'node05', 'node06', 'node09']), 'node01…node03, node05, node06, node09');
});

test('unpadded numbers run across a change of width, padded ones do not', (t) => {
  t.is(nameRanges(['n9', 'n10', 'n11', 'n8']), 'n8…n11');
  t.is(nameRanges(['node09', 'node10', 'node100', 'node101', 'node102']), 'node09, node10, node100…node102');
});

test('names of other stems, suffixes or without numbers are never joined into one range', (t) => {
  t.is(nameRanges(['lb1', 'web1', 'web2', 'web3', 'db', 'rack1-a', 'rack2-a', 'rack3-b']), 'db, lb1, rack1-a, rack2-a, rack3-b, web1…web3');
  t.is(nameRanges(['pool:lab', 'n1', 'n1']), 'n1, pool:lab');
});
