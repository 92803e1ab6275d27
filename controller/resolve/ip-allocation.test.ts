import test from 'ava';
import { IPPoolSpec } from '../spec/schema.js';
import { allocateLowest, canonicalAddress, markTaken, poolState } from './ip-allocation.js';

test('lowest free address skips network, reserved, gateway and node addresses', (t) => {
  const state = poolState(IPPoolSpec.parse({ cidr: '10.0.0.0/29', gateway: '10.0.0.1', reserved: ['10.0.0.3'] }), ['10.0.0.2']);
  markTaken(state, '10.0.0.5');
  t.deepEqual([allocateLowest(state), allocateLowest(state), allocateLowest(state)], ['10.0.0.4', '10.0.0.6', null]);
});

test('a range bounds the pool', (t) => {
  const state = poolState(IPPoolSpec.parse({ cidr: '10.0.0.0/24', range: { start: '10.0.0.200', end: '10.0.0.201' } }), []);
  t.deepEqual([allocateLowest(state), allocateLowest(state), allocateLowest(state)], ['10.0.0.200', '10.0.0.201', null]);
});

test('IPv6 pools allocate and format canonically', (t) => {
  const state = poolState(IPPoolSpec.parse({ cidr: '2001:db8::/120', reserved: ['2001:db8::'] }), []);
  t.is(allocateLowest(state), '2001:db8::1');
  t.is(canonicalAddress('2001:0db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
});
