import test from 'ava';
import { canonicalAddress } from '../model/ip.js';
import { IPPoolSpec } from '../spec/schema.js';
import { DiagnosticSink } from './diagnostic-sink.js';
import { allocateClusterAddresses, allocateLowest, markTaken, poolState, type PoolState } from './ip-allocation.js';
import { clusterDoc, doc, testSpec } from '../../test/support/build-spec.js';
import { UncheckedSpec } from './unchecked-spec.js';
import { NOTHING_OBSERVED } from './ipam-observation.js';

function usable(pool: unknown, nodeAddresses: string[] = []): PoolState {
  return poolState('pool', IPPoolSpec.parse(pool), nodeAddresses);
}

test('lowest free address skips network, reserved, gateway and node addresses', (t) => {
  const state = usable({ cidr: '10.0.0.0/29', gateway: '10.0.0.1', reserved: ['10.0.0.3'] }, ['10.0.0.2']);
  markTaken(state, '10.0.0.5');
  t.deepEqual([allocateLowest(state), allocateLowest(state), allocateLowest(state)], ['10.0.0.4', '10.0.0.6', null]);
});

test('a range bounds the pool', (t) => {
  const state = usable({ cidr: '10.0.0.0/24', range: { start: '10.0.0.200', end: '10.0.0.201' } });
  t.deepEqual([allocateLowest(state), allocateLowest(state), allocateLowest(state)], ['10.0.0.200', '10.0.0.201', null]);
});

test('IPv6 pools allocate and format canonically', (t) => {
  const state = usable({ cidr: '2001:db8::/120', reserved: ['2001:db8::'] });
  t.is(allocateLowest(state), '2001:db8::1');
  t.is(canonicalAddress('2001:0db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
});

test('an IPv4-mapped IPv6 address is read as the address it is, not as its first digits', (t) => {
  const state = usable({ cidr: '::ffff:10.0.0.0/126' }, ['::ffff:10.0.0.0']);
  t.is(allocateLowest(state), '::ffff:a00:1');
});

test('a pool load would refuse is thrown back as an unchecked Spec naming the pool, never a RangeError', (t) => {
  // Load is the only validator: it reports this pool (PoolAddressFamilyMismatch); resolve does not check it again.
  const spec = testSpec([
    doc('IPPool', 'vips', { cidr: '10.0.0.0/24', range: { start: '2001:db8::1', end: '2001:db8::9' } }),
    clusterDoc('c', { nodes: {}, addresses: [{ name: 'vip', pool: 'vips' }], steps: [{ name: 's', module: 'm' }] }),
  ]);
  const error = t.throws(() => allocateClusterAddresses(spec, [], NOTHING_OBSERVED, new DiagnosticSink()), { instanceOf: UncheckedSpec, code: 'UncheckedSpec' });
  t.regex(error?.message ?? '', /^IPPool "vips": range start 2001:db8::1 is an IPv6 address/);
});
