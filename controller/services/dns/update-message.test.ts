import test from 'ava';
import { encodeUpdate, splitIntoMessages, UpdateMessageError, type ChangeGroup } from './update-message.js';
import { decodeMessage, type DnsRecord } from './wire.js';

const zone = 'example.test';
const a = (host: string, ip: string): DnsRecord => ({ name: `${host}.${zone}`, ttl: 300, type: 'A', data: ip });

test('each section of an UPDATE is encoded with the class RFC 2136 gives it', (t) => {
  const records: DnsRecord[] = [
    a('www', '198.18.0.10'),
    { name: `www.${zone}`, ttl: 300, type: 'AAAA', data: '2001:db8::10' },
    { name: `alias.${zone}`, ttl: 300, type: 'CNAME', data: `www.${zone}` },
    { name: `_etcd._tcp.${zone}`, ttl: 300, type: 'SRV', data: { priority: 0, weight: 10, port: 2379, target: `www.${zone}` } },
    { name: `owner.${zone}`, ttl: 300, type: 'TXT', data: ['heritage=underlay', 'site=s1'] },
  ];
  const group: ChangeGroup = {
    id: 'g',
    prerequisites: [
      { kind: 'rrsetEquals', name: `old.${zone}`, type: 'A', records: [a('old', '198.18.0.9')] },
      { kind: 'rrsetExists', name: `old.${zone}`, type: 'A' },
      { kind: 'rrsetAbsent', name: `www.${zone}`, type: 'A' },
      { kind: 'nameInUse', name: `old.${zone}` },
      { kind: 'nameNotInUse', name: `new.${zone}` },
    ],
    operations: [
      ...records.map((record) => ({ kind: 'add' as const, record })),
      { kind: 'deleteRRset', name: `old.${zone}`, type: 'A' },
      { kind: 'deleteRecord', record: a('old', '198.18.0.9') },
    ],
  };
  const m = decodeMessage(encodeUpdate({ zone, groups: [group] }, 4242));
  t.is(m.id, 4242);
  t.is(m.opcode, 5);
  t.deepEqual(m.questions, [{ name: zone, type: 'SOA', class: 'IN' }]);
  t.deepEqual(
    m.answers.map((r) => [r.name, r.type, r.class, r.ttl]),
    [
      [`old.${zone}`, 'A', 'IN', 0],
      [`old.${zone}`, 'A', 'ANY', 0],
      [`www.${zone}`, 'A', 'NONE', 0],
      [`old.${zone}`, 'ANY', 'ANY', 0],
      [`new.${zone}`, 'ANY', 'NONE', 0],
    ],
  );
  t.is(m.answers[0]!.data, '198.18.0.9');
  t.deepEqual(m.answers[1]!.data, Buffer.alloc(0), 'a value-independent prerequisite has empty rdata');
  t.deepEqual(
    m.authorities.map((r) => [r.type, r.class, r.ttl]),
    [['A', 'IN', 300], ['AAAA', 'IN', 300], ['CNAME', 'IN', 300], ['SRV', 'IN', 300], ['TXT', 'IN', 300], ['A', 'ANY', 0], ['A', 'NONE', 0]],
  );
  t.deepEqual(m.authorities[3]!.data, { priority: 0, weight: 10, port: 2379, target: `www.${zone}` });
  t.deepEqual((m.authorities[4]!.data as Buffer[]).map(String), ['heritage=underlay', 'site=s1']);
  t.deepEqual(m.authorities[5]!.data, Buffer.alloc(0));
  t.is(m.authorities[6]!.data, '198.18.0.9');
});

const addGroup = (i: number): ChangeGroup => ({
  id: `host${i}`,
  prerequisites: [{ kind: 'rrsetAbsent', name: `host${i}.${zone}`, type: 'A' }],
  operations: [{ kind: 'add', record: a(`host${i}`, `198.18.${i >> 8}.${i & 255}`) }],
});

test('many changes split under the record bound, each message carrying its own prerequisites', (t) => {
  const groups = Array.from({ length: 10 }, (_, i) => addGroup(i));
  const messages = splitIntoMessages(zone, groups, { maxBytes: 65_000, maxRecords: 6 });
  t.deepEqual(messages.map((m) => m.groups.map((g) => g.id)), [['host0', 'host1', 'host2'], ['host3', 'host4', 'host5'], ['host6', 'host7', 'host8'], ['host9']]);
  for (const m of messages) {
    const decoded = decodeMessage(encodeUpdate(m, 1));
    t.is(decoded.answers.length, decoded.authorities.length, 'one prerequisite per add, in the same message');
    t.deepEqual(decoded.answers.map((r) => r.name), decoded.authorities.map((r) => r.name));
  }
});

test('many changes split under the byte bound, and no message exceeds it', (t) => {
  const groups = Array.from({ length: 1000 }, (_, i) => addGroup(i));
  const maxBytes = 4096;
  const messages = splitIntoMessages(zone, groups, { maxBytes, maxRecords: 100_000 });
  t.true(messages.length > 1);
  for (const m of messages) t.true(encodeUpdate(m, 1).length <= maxBytes);
  t.deepEqual(messages.flatMap((m) => m.groups), groups, 'every group once, in order');
});

test('a name outside the zone, or a group over the bounds by itself, is refused before anything is sent', (t) => {
  const outside: ChangeGroup = { id: 'stray', prerequisites: [], operations: [{ kind: 'add', record: { ...a('x', '198.18.0.1'), name: 'x.other.test' } }] };
  t.is(t.throws(() => splitIntoMessages(zone, [outside]), { instanceOf: UpdateMessageError })?.code, 'DnsNameOutsideZone');
  // A name that merely ends in the zone's text is not in the zone.
  t.is(t.throws(() => splitIntoMessages(zone, [{ ...outside, operations: [{ kind: 'add', record: { ...a('x', '198.18.0.1'), name: 'badexample.test' } }] }]))?.message, 'change stray: badexample.test is not in zone example.test');
  const big: ChangeGroup = { id: 'big', prerequisites: [], operations: Array.from({ length: 5 }, (_, i) => ({ kind: 'add' as const, record: a(`h${i}`, '198.18.0.1') })) };
  t.is(t.throws(() => splitIntoMessages(zone, [big], { maxBytes: 65_000, maxRecords: 4 }), { instanceOf: UpdateMessageError })?.code, 'DnsChangeGroupTooLarge');
});

test('a TXT string over 255 bytes is refused, not written with a wrapped length byte', (t) => {
  const long: ChangeGroup = { id: 'owner', prerequisites: [], operations: [{ kind: 'add', record: { name: `o.${zone}`, ttl: 60, type: 'TXT', data: ['x'.repeat(256)] } }] };
  t.is(t.throws(() => splitIntoMessages(zone, [long]), { instanceOf: UpdateMessageError })?.code, 'DnsRecordInvalid');
  const fits: ChangeGroup = { ...long, operations: [{ kind: 'add', record: { name: `o.${zone}`, ttl: 60, type: 'TXT', data: ['x'.repeat(255), 'y'] } }] };
  t.deepEqual((decodeMessage(encodeUpdate({ zone, groups: [fits] }, 1)).authorities[0]!.data as Buffer[]).map((b) => b.length), [255, 1]);
});
