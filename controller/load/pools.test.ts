import test from 'ava';
import { loadSpec } from './load-spec.js';
import { revisionOf } from './revision-fixture.js';

const problems = (spec: string) =>
  loadSpec(revisionOf({ 'pool.yaml': `apiVersion: underlay.dev/v1alpha1\nkind: IPPool\nmetadata:\n  name: p\nspec:\n${spec}` })).diagnostics.map((d) => [d.code, d.location?.line, d.field]);

test('a pool that is consistent has no problems', (t) => {
  t.deepEqual(problems('  cidr: 10.0.0.0/24\n  range: {start: 10.0.0.10, end: 10.0.0.10}\n  gateway: 10.0.0.1\n  reserved: [10.0.0.255]\n'), []);
  t.deepEqual(problems('  cidr: fd00::/64\n  range: {start: "fd00::10", end: "fd00::ffff"}\n  gateway: "fd00::1"\n'), []);
});

test('range bounds outside the CIDR are reported at the bound', (t) => {
  t.deepEqual(problems('  cidr: 10.0.0.0/24\n  range:\n    start: 10.0.0.10\n    end: 10.0.1.20\n'), [['PoolAddressOutsideCidr', 9, 'spec.range.end']]);
  t.deepEqual(problems('  cidr: 10.0.0.0/24\n  range:\n    start: 9.255.255.255\n    end: 10.0.1.0\n'), [
    ['PoolAddressOutsideCidr', 8, 'spec.range.start'],
    ['PoolAddressOutsideCidr', 9, 'spec.range.end'],
  ]);
});

test('a reversed range is reported at the range', (t) => {
  t.deepEqual(problems('  cidr: 10.0.0.0/24\n  range:\n    start: 10.0.0.20\n    end: 10.0.0.10\n'), [['PoolRangeReversed', 7, 'spec.range']]);
});

test('addresses of the other family: range, gateway, reserved; each once, not also "outside"', (t) => {
  t.deepEqual(problems('  cidr: 10.0.0.0/24\n  range:\n    start: "2001:db8::1"\n    end: 10.0.0.9\n  gateway: "fd00::1"\n  reserved:\n    - 10.0.0.5\n    - "::1"\n'), [
    ['PoolAddressFamilyMismatch', 8, 'spec.range.start'],
    ['PoolAddressFamilyMismatch', 10, 'spec.gateway'],
    ['PoolAddressFamilyMismatch', 13, 'spec.reserved[1]'],
  ]);
  t.deepEqual(problems('  cidr: fd00::/64\n  range: {start: 10.0.0.1, end: "fd00::9"}\n'), [['PoolAddressFamilyMismatch', 7, 'spec.range.start']]);
});

test('a gateway or reserved address outside the CIDR is a typo that would leave the real one allocatable', (t) => {
  t.deepEqual(problems('  cidr: 10.0.0.0/24\n  gateway: 10.0.1.1\n  reserved: [10.0.0.5, 10.1.0.6]\n'), [
    ['PoolAddressOutsideCidr', 7, 'spec.gateway'],
    ['PoolAddressOutsideCidr', 8, 'spec.reserved[1]'],
  ]);
});

test('of two overlapping pools, the one in the later file by code-unit order is reported, whatever the locale', (t) => {
  const pool = (name: string, cidr: string) => `apiVersion: underlay.dev/v1alpha1\nkind: IPPool\nmetadata:\n  name: ${name}\nspec:\n  cidr: ${cidr}\n`;
  // 'B' (U+0042) comes before 'a' (U+0061) by code unit; a locale's collation puts "a" first.
  const files = { 'pools/a.yaml': pool('lower', '10.0.0.0/24'), 'pools/B.yaml': pool('upper', '10.0.0.0/16') };
  t.deepEqual(loadSpec(revisionOf(files)).diagnostics.map((d) => [d.code, d.location?.file]), [['OverlappingPools', 'pools/a.yaml']]);
});
