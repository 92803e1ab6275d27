/**
 * The RFC 2136 zone provider against a recording client: what it reads as this site's, the change group of
 * each record (the record, its ownership record, the prerequisites), a level's changes in one sync, and a
 * prerequisite failure reported as DnsRecordChanged naming zone, record and answer.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectorySecretStore } from '../secrets/secret-store.js';
import { systemClock } from '../clock.js';
import type { DesiredZone } from '../model/desired.js';
import { DnsError } from '../services/dns/dns-error.js';
import type { ChangeGroup } from '../services/dns/update-message.js';
import type { DnsRecord } from '../services/dns/wire.js';
import { Rfc2136ZoneProvider, type ZoneClient } from './rfc2136-zone-provider.js';
import { ownershipRecordValue } from './zone-ownership.js';
import { recordValueMark } from '../model/record-value-mark.js';
import { changeGroup, ownedRecords } from './zone-records.js';

const AT: DesiredZone = { apex: 'lab.example.net.', server: { address: '198.18.0.2', port: 53 }, tsigKeySecret: 'dns-key', policy: 'sync' };
const a = (name: string, data: string): DnsRecord => ({ name, ttl: 300, type: 'A', data });
const txt = (name: string, data: string): DnsRecord => ({ name, ttl: 300, type: 'TXT', data: [data] });

test('a zone read keeps the records whose ownership record names this site, tells hand edits, and names who holds the rest', (t) => {
  const zone = ownedRecords('lab', [
    a('n1.lab.example.net', '198.18.0.11'),
    txt('_underlay-owner.a.n1.lab.example.net', ownershipRecordValue('lab', '198.18.0.11')),
    a('n2.lab.example.net', '198.18.0.99'),
    txt('_underlay-owner.a.n2.lab.example.net', ownershipRecordValue('lab', '198.18.0.12')),
    a('www.lab.example.net', '198.18.0.20'),
    a('api.lab.example.net', '198.18.0.21'),
    txt('_underlay-owner.a.api.lab.example.net', ownershipRecordValue('other', '198.18.0.21')),
    { name: 'etcd.lab.example.net', ttl: 300, type: 'CNAME', data: 'n1.lab.example.net' },
    txt('_underlay-owner.cname.etcd.lab.example.net', ownershipRecordValue('lab')),
    // Deleted by hand: its ownership record stays, with the mark of the value written.
    txt('_underlay-owner.a.n4.lab.example.net', ownershipRecordValue('lab', '198.18.0.14')),
  ]);
  t.deepEqual(zone, {
    records: { 'etcd.lab.example.net./CNAME': 'n1.lab.example.net.', 'n1.lab.example.net./A': '198.18.0.11', 'n2.lab.example.net./A': '198.18.0.99' },
    heldElsewhere: { 'api.lab.example.net./A': 'owned by site other', 'www.lab.example.net./A': 'not managed by underlay' },
    editedOutside: ['n2.lab.example.net./A'],
    // What was written where it no longer is: the planner tells a hand edit (drift) from Git's change by it.
    writtenMarks: { 'n2.lab.example.net./A': recordValueMark('198.18.0.12'), 'n4.lab.example.net./A': recordValueMark('198.18.0.14') },
  });
});

test('each record goes with its ownership record, guarded by the value observed when planned', (t) => {
  const record = { name: 'n1.lab.example.net.', type: 'A', value: '198.18.0.12', ttl: 300 };
  const update = changeGroup({ id: 'n1', site: 'lab', record, before: '198.18.0.11', remove: false });
  t.deepEqual(update.prerequisites, [
    { kind: 'rrsetEquals', name: 'n1.lab.example.net', type: 'A', records: [a('n1.lab.example.net', '198.18.0.11')].map((r) => ({ ...r, ttl: 0 })) },
    { kind: 'rrsetExists', name: '_underlay-owner.a.n1.lab.example.net', type: 'TXT' },
  ]);
  t.deepEqual(update.operations, [
    { kind: 'deleteRRset', name: 'n1.lab.example.net', type: 'A' },
    { kind: 'deleteRRset', name: '_underlay-owner.a.n1.lab.example.net', type: 'TXT' },
    { kind: 'add', record: a('n1.lab.example.net', '198.18.0.12') },
    { kind: 'add', record: txt('_underlay-owner.a.n1.lab.example.net', ownershipRecordValue('lab', '198.18.0.12')) },
  ]);
  const create = changeGroup({ id: 'n1', site: 'lab', record, before: null, remove: false });
  t.deepEqual(create.prerequisites, [
    { kind: 'rrsetAbsent', name: 'n1.lab.example.net', type: 'A' },
    { kind: 'rrsetAbsent', name: 'n1.lab.example.net', type: 'CNAME' },
  ]);
  const cname = changeGroup({ id: 'etcd', site: 'lab', record: { name: 'etcd.lab.example.net.', type: 'CNAME', value: 'n1.lab.example.net.', ttl: 60 }, before: null, remove: false });
  t.deepEqual(cname.prerequisites, [{ kind: 'nameNotInUse', name: 'etcd.lab.example.net' }]);
  const remove = changeGroup({ id: 'n1', site: 'lab', record, before: '198.18.0.12', remove: true });
  t.is(remove.operations.length, 2);
  t.is(remove.prerequisites.length, 2);
});

function recordingClient(answer: (groups: readonly ChangeGroup[]) => { rejected: string[] } | Error) {
  const syncs: string[][] = [];
  const client: ZoneClient = {
    axfr: () => Promise.resolve({ zone: 'lab.example.net', serial: 1, records: [], others: [] }),
    sync(_zone, groups) {
      syncs.push(groups.map((g) => g.id));
      const r = answer(groups);
      if (r instanceof Error) return Promise.reject(r);
      const failure = new DnsError('DnsUpdateRejected', 'update of zone lab.example.net at 198.18.0.2:53: the server answered NXRRSET', { zone: 'lab.example.net', server: '198.18.0.2:53', rcode: 'NXRRSET' });
      return Promise.resolve({
        applied: groups.filter((g) => !r.rejected.includes(g.id)),
        rejected: groups.filter((g) => r.rejected.includes(g.id)).map((group) => ({ group, failure })),
        messages: 1,
        planned: 1,
      });
    },
  };
  return { client, syncs };
}

/** A provider whose secret store holds a TSIG key file, as `tsig-keygen` writes it. */
function provider(client: ZoneClient): Rfc2136ZoneProvider {
  const dir = mkdtempSync(join(tmpdir(), 'underlay-zone-test-'));
  writeFileSync(join(dir, 'dns-key'), `key "lab." { algorithm hmac-sha256; secret "${Buffer.alloc(32, 7).toString('base64')}"; };\n`, { mode: 0o600 });
  return new Rfc2136ZoneProvider({ site: 'lab', secrets: new DirectorySecretStore(dir), clock: systemClock, client: () => client });
}

const n = (i: number, before: string | null = null, remove = false) => ({ id: `n${i}`, record: { name: `n${i}.lab.example.net.`, type: 'A', value: `198.18.0.${i}`, ttl: 300 }, before, remove });

test('a level of changes goes out in one sync; a record changed behind underlay\'s back fails alone, named', async (t) => {
  const { client, syncs } = recordingClient(() => ({ rejected: ['n2'] }));
  const zones = provider(client);
  t.deepEqual(await zones.observe('lab', AT), { records: {}, heldElsewhere: {}, editedOutside: [], writtenMarks: {} });
  const failed = await zones.write('lab', [n(1), n(2, '198.18.0.9'), n(3, '198.18.0.3', true)]);
  t.deepEqual(syncs, [['n1', 'n2', 'n3']]);
  t.deepEqual([...failed.keys()], ['n2']);
  const error = failed.get('n2') as Error & { code: string };
  t.is(error.code, 'DnsRecordChanged');
  t.is(error.message, 'zone lab.example.net.: n2.lab.example.net. A changed since it was planned (expected 198.18.0.9); the server 198.18.0.2:53 answered NXRRSET, so nothing of it was written: plan again');
});

test('a refused update fails the whole write with the server\'s answer; a zone not observed first is refused', async (t) => {
  const refused = new DnsError('DnsUpdateRejected', 'update of zone lab.example.net at 198.18.0.2:53: the server answered REFUSED', { zone: 'lab.example.net', server: '198.18.0.2:53', rcode: 'REFUSED' });
  const zones = provider(recordingClient(() => refused).client);
  await zones.observe('lab', AT);
  await t.throwsAsync(zones.write('lab', [n(1), n(2)]), { is: refused });
  await t.throwsAsync(zones.write('other', [n(1)]), { message: /zone other was not observed/ });
});

test('a zone whose key cannot be read, or whose transfer fails, is unreadable, never empty', async (t) => {
  const zones = provider({ ...recordingClient(() => ({ rejected: [] })).client, axfr: () => Promise.reject(new DnsError('DnsZoneReadFailed', 'zone transfer of lab.example.net from 198.18.0.2:53 failed: the server answered REFUSED', { zone: 'lab.example.net', server: '198.18.0.2:53' })) });
  t.deepEqual(await zones.observe('lab', AT), { records: {}, unreadable: { code: 'DnsZoneReadFailed', message: 'zone transfer of lab.example.net from 198.18.0.2:53 failed: the server answered REFUSED' } });
  t.like(await zones.observe('missing', { ...AT, tsigKeySecret: 'no-such-key' }), { records: {}, unreadable: { code: 'SecretNotFound' } });
});
