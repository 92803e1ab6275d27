/**
 * The DNS client against a real BIND on a test host: signed RFC 2136 updates, TSIG refusals with the zone
 * and the server's answer, prerequisites that reject a whole message, AXFR compared with dig's, and a record
 * edited by hand seen by the next read.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { systemClock } from '../../controller/clock.js';
import { DirectorySecretStore } from '../../controller/secrets/secret-store.js';
import { DnsClient } from '../../controller/services/dns/dns-client.js';
import { DnsError } from '../../controller/services/dns/dns-error.js';
import { loadTsigKey } from '../../controller/services/dns/load-tsig-key.js';
import { TsigKey } from '../../controller/services/dns/tsig.js';
import type { ChangeGroup } from '../../controller/services/dns/update-message.js';
import type { DnsRecord } from '../../controller/services/dns/wire.js';
import { startBindServer, type BindServer } from '../support/bind-server.js';

const ZONE = 'example.test';
const REVERSE = '18.198.in-addr.arpa';
let bind: BindServer;
let client: DnsClient;

test.before(async () => {
  bind = await startBindServer({ zones: [ZONE, REVERSE] });
  const key = await loadTsigKey(new DirectorySecretStore(bind.secretDir), bind.keySecretName);
  client = new DnsClient({ server: { host: bind.address, port: bind.port }, key, clock: systemClock });
});
test.after.always(async () => bind?.teardown());

const adds = (id: string, records: DnsRecord[]): ChangeGroup => ({ id, prerequisites: [], operations: records.map((record) => ({ kind: 'add', record })) });
const short = async (name: string, type: string): Promise<string> => (await bind.dig(['+short', name, type])).trim();
const secretOf = (): string => /secret "([^"]+)"/.exec(readFileSync(bind.keyFile, 'utf8'))![1]!;

test.serial('a signed update of all six record types is applied, as dig sees it', async (t) => {
  const result = await client.update({
    zone: ZONE,
    groups: [
      adds('www', [
        { name: `www.${ZONE}`, ttl: 300, type: 'A', data: '198.18.0.10' },
        { name: `www.${ZONE}`, ttl: 300, type: 'AAAA', data: '2001:db8::10' },
        { name: `api.${ZONE}`, ttl: 300, type: 'CNAME', data: `www.${ZONE}` },
        { name: `_etcd-server._tcp.${ZONE}`, ttl: 300, type: 'SRV', data: { priority: 0, weight: 10, port: 2380, target: `www.${ZONE}` } },
        { name: `_owner.www.${ZONE}`, ttl: 300, type: 'TXT', data: ['heritage=underlay,site=s1'] },
      ]),
    ],
  });
  t.deepEqual(result, { ok: true });
  t.true((await client.update({ zone: REVERSE, groups: [adds('ptr', [{ name: `10.0.${REVERSE}`, ttl: 300, type: 'PTR', data: `www.${ZONE}` }])] })).ok);
  t.is(await short(`www.${ZONE}`, 'A'), '198.18.0.10');
  t.is(await short(`www.${ZONE}`, 'AAAA'), '2001:db8::10');
  t.is(await short(`api.${ZONE}`, 'CNAME'), `www.${ZONE}.`);
  t.is(await short(`_etcd-server._tcp.${ZONE}`, 'SRV'), `0 10 2380 www.${ZONE}.`);
  t.is(await short(`_owner.www.${ZONE}`, 'TXT'), '"heritage=underlay,site=s1"');
  t.is((await bind.dig(['+short', '-x', '198.18.0.10'])).trim(), `www.${ZONE}.`);
  t.deepEqual(await client.query(`www.${ZONE}`, 'A'), [{ name: `www.${ZONE}`, ttl: 300, type: 'A', data: '198.18.0.10' }]);
});

test.serial('an unsigned update is REFUSED, reported with the zone and the server\'s answer', async (t) => {
  const unsigned = new DnsClient({ server: { host: bind.address, port: bind.port }, clock: systemClock });
  const result = await unsigned.update({ zone: ZONE, groups: [adds('x', [{ name: `unsigned.${ZONE}`, ttl: 60, type: 'A', data: '198.18.0.66' }])] });
  t.false(result.ok);
  if (result.ok) return;
  t.is(result.error.code, 'DnsUpdateRejected');
  t.like(result.error.data, { zone: ZONE, rcode: 'REFUSED' });
  t.regex(result.error.message, /example\.test.*REFUSED/);
  t.is(await short(`unsigned.${ZONE}`, 'A'), '');
});

test.serial('an update signed with the wrong key is refused with the zone and the TSIG error, and no secret shows', async (t) => {
  const wrongSecret = Buffer.from(secretOf(), 'base64').map((b) => b ^ 0xff);
  for (const [key, tsigError] of [
    [new TsigKey('unknown-key.', Buffer.from(secretOf(), 'base64')), 'BADKEY'],
    [new TsigKey(bind.keyName, Buffer.from(wrongSecret)), 'BADSIG'],
  ] as const) {
    const wrong = new DnsClient({ server: { host: bind.address, port: bind.port }, key, clock: systemClock });
    const result = await wrong.update({ zone: ZONE, groups: [adds('x', [{ name: `wrongkey.${ZONE}`, ttl: 60, type: 'A', data: '198.18.0.67' }])] });
    t.false(result.ok);
    if (result.ok) continue;
    t.is(result.error.code, 'DnsTsigFailed');
    t.like(result.error.data, { zone: ZONE, rcode: 'NOTAUTH', tsigError });
    for (const shown of [result.error.message, result.error.stack ?? '', JSON.stringify(result.error), inspect(result.error, { depth: 9, showHidden: true })]) {
      t.false(shown.includes(secretOf()), 'the key never shows');
      t.false(shown.includes(Buffer.from(wrongSecret).toString('base64')));
    }
  }
  t.is(await short(`wrongkey.${ZONE}`, 'A'), '');
});

test.serial('a failed prerequisite rejects its whole message; syncing bisects and lands the rest', async (t) => {
  const group = (host: string, ip: string): ChangeGroup => ({
    id: host,
    prerequisites: [{ kind: 'nameNotInUse', name: `${host}.${ZONE}` }],
    operations: [{ kind: 'add', record: { name: `${host}.${ZONE}`, ttl: 60, type: 'A', data: ip } }],
  });
  // www exists since the first test: its prerequisite fails, and with it the whole message.
  const groups = [group('p1', '198.18.1.1'), group('www', '198.18.1.2'), group('p3', '198.18.1.3'), group('p4', '198.18.1.4')];
  const one = await client.update({ zone: ZONE, groups });
  t.like(one, { ok: false, error: { code: 'DnsUpdateRejected', data: { zone: ZONE, rcode: 'YXDOMAIN', authenticated: true } } });
  for (const h of ['p1', 'p3', 'p4']) t.is(await short(`${h}.${ZONE}`, 'A'), '', `${h}: nothing of the message changed`);
  t.is(await short(`www.${ZONE}`, 'A'), '198.18.0.10');

  const synced = await client.sync(ZONE, groups, { maxBytes: 60_000, maxRecords: 4 });
  t.deepEqual(synced.applied.map((g) => g.id).sort(), ['p1', 'p3', 'p4']);
  t.deepEqual(synced.rejected.map((r) => [r.group.id, r.failure.data.rcode, r.failure.data.message?.groups]), [['www', 'YXDOMAIN', ['www']]]);
  t.is(synced.planned, 2, 'two messages under a four-record bound');
  for (const h of ['p1', 'p3', 'p4']) t.is(await short(`${h}.${ZONE}`, 'A'), `198.18.1.${h.slice(1)}`);
});

test.serial('AXFR returns what dig sees, and a record edited by hand shows in the next read', async (t) => {
  const fromDig = async (): Promise<string[]> =>
    (await bind.dig(['+nocmd', '+nostats', '+nocomments', '+noquestion', ZONE, 'AXFR']))
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith(';'))
      .map((l) => l.split(/\s+/))
      .filter((f) => ['A', 'AAAA', 'CNAME', 'SRV', 'TXT', 'PTR'].includes(f[3]!))
      .map((f) => `${f[0]!.replace(/\.$/, '')} ${f[3]}`);
  const ours = async (): Promise<string[]> => (await client.axfr(ZONE)).records.map((r) => `${r.name} ${r.type}`);
  const before = await client.axfr(ZONE);
  t.deepEqual((await ours()).sort(), (await fromDig()).sort());
  t.true(before.others.some((o) => o.type === 'NS'));

  await bind.nsupdate(`zone ${ZONE}\nupdate delete www.${ZONE} A\nupdate add www.${ZONE} 300 A 198.18.0.99`);
  const after = await client.axfr(ZONE);
  t.true(after.serial > before.serial);
  t.deepEqual(after.records.filter((r) => r.name === `www.${ZONE}` && r.type === 'A').map((r) => r.data), ['198.18.0.99']);
  t.deepEqual((await ours()).sort(), (await fromDig()).sort());
});

test.serial('a zone read that fails is an error, never an empty zone', async (t) => {
  const unsigned = new DnsClient({ server: { host: bind.address, port: bind.port }, clock: systemClock });
  const refused = await t.throwsAsync(unsigned.axfr(ZONE), { instanceOf: DnsError });
  t.is(refused?.code, 'DnsZoneReadFailed');
  t.like(refused?.data, { zone: ZONE, rcode: 'REFUSED' });
  const wrong = new DnsClient({ server: { host: bind.address, port: bind.port }, key: new TsigKey('unknown-key.', Buffer.alloc(32, 1)), clock: systemClock });
  t.like(await t.throwsAsync(wrong.axfr(ZONE), { instanceOf: DnsError }), { code: 'DnsZoneReadFailed', data: { zone: ZONE, tsigError: 'BADKEY' } });
  const nowhere = new DnsClient({ server: { host: bind.address, port: 5399 }, key: new TsigKey('k.', Buffer.alloc(32, 1)), clock: systemClock, timeoutMs: 3000 });
  t.like(await t.throwsAsync(nowhere.axfr(ZONE), { instanceOf: DnsError }), { code: 'DnsZoneReadFailed' });
});
