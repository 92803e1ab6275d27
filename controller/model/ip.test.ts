import test from 'ava';
import { canonicalAddress, contains, formatAddress, overlaps, parseAddress, parseCidr, type Address } from './ip.js';

const v4 = (text: string): Address => parseAddress(text)!;

test('IPv4: four decimal parts, each at most 255', (t) => {
  t.deepEqual(parseAddress('10.0.0.1'), { family: 4, value: 0x0a000001n });
  t.deepEqual(parseAddress('255.255.255.255'), { family: 4, value: 0xffffffffn });
  t.deepEqual(parseAddress('0.0.0.0'), { family: 4, value: 0n });
  for (const text of ['10.0.0.256', '1.2.3', '1.2.3.4.5', '10.1', '0x1.2.3.4', ' 10.0.0.1', '10.0.0.1 ', '1.2.3.4/24', '', 'localhost', 'db-1.lab']) t.is(parseAddress(text), null, text);
});

test('IPv4 with leading zeros is not an address: resolvers read 010 as octal, people as decimal', (t) => {
  t.is(parseAddress('010.0.0.1'), null);
  t.is(parseAddress('1.2.3.04'), null);
});

test('IPv6: every spelling of one address is one value, written back in RFC 5952 form', (t) => {
  const one = parseAddress('2001:db8::1');
  t.deepEqual(one, { family: 6, value: 0x20010db8000000000000000000000001n });
  t.deepEqual(parseAddress('2001:0DB8:0000:0000:0000:0000:0000:0001'), one);
  t.is(canonicalAddress('2001:0db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  t.is(canonicalAddress('1:0:0:2:0:0:0:3'), '1:0:0:2::3');
  t.is(canonicalAddress('0:0:0:0:0:0:0:0'), '::');
  t.is(canonicalAddress('::0:1'), '::1');
  t.is(canonicalAddress('1:2:3:4:5:6:7::'), '1:2:3:4:5:6:7:0');
  t.is(canonicalAddress('1:2:3:4:5:6:1.2.3.4'), '1:2:3:4:5:6:102:304');
  for (const text of ['1:2:3:4:5:6:7:8:9', '1::2::3', ':1', '1:', ':::', '12345::', 'g::1', '[::1]', '1:2:3:4:5:6:7:1.2.3.4', 'fe80::1%eth0']) t.is(parseAddress(text), null, text);
});

test('IPv4-mapped IPv6 stays IPv6: it is not in an IPv4 pool, and is written in hex', (t) => {
  const mapped = parseAddress('::ffff:10.0.0.5')!;
  t.is(mapped.family, 6);
  t.deepEqual(parseAddress('::ffff:a00:5'), mapped);
  t.is(formatAddress(mapped), '::ffff:a00:5');
  t.false(contains(parseCidr('10.0.0.0/24')!, mapped));
  t.true(contains(parseCidr('::ffff:0:0/96')!, mapped));
  // The deprecated IPv4-compatible form reads as mapped, as ipaddr.js reads it.
  t.deepEqual(parseAddress('::10.0.0.5'), mapped);
});

test('other text is left as it is by canonicalAddress; formatting covers both ends of each family', (t) => {
  t.is(canonicalAddress('db-1.lab'), 'db-1.lab');
  t.is(canonicalAddress('10.0.0.1'), '10.0.0.1');
  t.is(formatAddress({ family: 4, value: 0n }), '0.0.0.0');
  t.is(formatAddress({ family: 4, value: 0xffffffffn }), '255.255.255.255');
  t.is(formatAddress({ family: 6, value: (1n << 128n) - 1n }), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  t.is(formatAddress(parseAddress('2001:db8::ffff')!), '2001:db8::ffff');
});

test('CIDR blocks: the whole block, host bits ignored, edges included', (t) => {
  t.deepEqual(parseCidr('10.0.0.1/24'), { family: 4, first: 0x0a000000n, last: 0x0a0000ffn });
  t.deepEqual(parseCidr('10.0.0.7/32'), { family: 4, first: 0x0a000007n, last: 0x0a000007n });
  t.deepEqual(parseCidr('0.0.0.0/0'), { family: 4, first: 0n, last: 0xffffffffn });
  t.deepEqual(parseCidr('::/0'), { family: 6, first: 0n, last: (1n << 128n) - 1n });
  t.deepEqual(parseCidr('2001:db8::/127'), { family: 6, first: 0x20010db8n << 96n, last: (0x20010db8n << 96n) + 1n });
  for (const text of ['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0', '10.0.0.0/-1', '10.0.0.0/24/5', 'x/24', '/24']) t.is(parseCidr(text), null, text);
  const block = parseCidr('192.0.2.0/30')!;
  t.true(contains(block, v4('192.0.2.0')));
  t.true(contains(block, v4('192.0.2.3')));
  t.false(contains(block, v4('192.0.2.4')));
  t.false(contains(block, v4('192.0.1.255')));
});

test('ranges overlap only within one family', (t) => {
  t.true(overlaps(parseCidr('10.0.0.0/8')!, parseCidr('10.1.0.0/16')!));
  t.true(overlaps(parseCidr('10.0.0.0/24')!, parseCidr('10.0.0.255/32')!));
  t.false(overlaps(parseCidr('10.0.0.0/24')!, parseCidr('10.0.1.0/24')!));
  t.false(overlaps(parseCidr('0.0.0.0/0')!, parseCidr('::/0')!));
});
