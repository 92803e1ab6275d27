/**
 * bench/dns-sync: 10,000 records to a real BIND (a test host, test/support/bind-server.ts) in one zone.
 *
 *   npm run bench:dns -- [--records 10000] [--rounds 3]
 *
 * Each round, in fresh zones, alternating which tool goes first:
 * 1. underlay's client: one change group per record (prerequisite "RRset absent" + add), split into UPDATE
 *    messages under the default bounds, TSIG-signed; time and number of messages.
 * 2. The re-sync with nothing to do: a TSIG-verified AXFR and the comparison with the desired records.
 * 3. `nsupdate -k` doing the same adds with the same prerequisites into another empty zone of the same
 *    server, one `send` per message of step 1 (so both send the same messages), in one process.
 * 4. `dig AXFR` of the zone, beside step 2's read.
 * Load average (1 minute) is printed at the start and the end: the machine is shared.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../../controller/clock.js';
import { DirectorySecretStore } from '../../controller/secrets/secret-store.js';
import { DnsClient } from '../../controller/services/dns/dns-client.js';
import { loadTsigKey } from '../../controller/services/dns/load-tsig-key.js';
import { splitIntoMessages, type ChangeGroup } from '../../controller/services/dns/update-message.js';
import type { DnsRecord } from '../../controller/services/dns/wire.js';
import { startBindServer } from '../../test/support/bind-server.js';
import { option } from '../support/bench-args.js';

const count = Number(option('records', '10000'));
const rounds = Number(option('rounds', '3'));
// Fresh zones per round, their names as long as each other's, so both tools send the same messages.
const zonesOf = (round: number): { ours: string; theirs: string } => ({ ours: `ours${round}.bench.test`, theirs: `nsup${round}.bench.test` });

const recordsOf = (zone: string): DnsRecord[] =>
  Array.from({ length: count }, (_, i) => ({ name: `host${i}.${zone}`, ttl: 300, type: 'A', data: `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}` }));
const groupsOf = (records: DnsRecord[]): ChangeGroup[] =>
  records.map((record) => ({ id: record.name, prerequisites: [{ kind: 'rrsetAbsent', name: record.name, type: 'A' }], operations: [{ kind: 'add', record }] }));
const keyOf = (r: DnsRecord): string => `${r.name} ${r.type} ${JSON.stringify(r.data)}`;

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { seconds: (performance.now() - start) / 1000, value };
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (): string => loadavg()[0]!.toFixed(2);
const list = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(', ');

/** The same adds, prerequisites and message boundaries as underlay's, as an nsupdate script. */
function nsupdateScript(zone: string): { script: string; messages: number } {
  const records = recordsOf(zone);
  const byName = new Map(records.map((r) => [r.name, r]));
  const lines = (r: DnsRecord): string => `prereq nxrrset ${r.name} A\nupdate add ${r.name} ${r.ttl} A ${String(r.data)}`;
  const batches = splitIntoMessages(zone, groupsOf(records));
  // bind.nsupdate sends after the last message.
  return { script: `zone ${zone}\n${batches.map((m) => m.groups.map((g) => lines(byName.get(g.id)!)).join('\n')).join('\nsend\n')}`, messages: batches.length };
}

const loadAtStart = load();
const bind = await startBindServer({ zones: Array.from({ length: rounds }, (_, r) => Object.values(zonesOf(r))).flat() });
try {
  const key = await loadTsigKey(new DirectorySecretStore(bind.secretDir), bind.keySecretName);
  const client = new DnsClient({ server: { host: bind.address, port: bind.port }, key, clock: systemClock, timeoutMs: 120_000 });
  const ours: { seconds: number; cpu: number; messages: number }[] = [];
  const theirs: { seconds: number; messages: number }[] = [];
  const noops: number[] = [];
  const digReads: number[] = [];

  const runOurs = async (zone: string): Promise<void> => {
    const cpuBefore = process.cpuUsage();
    const sync = await timed(() => client.sync(zone, groupsOf(recordsOf(zone))));
    const cpu = process.cpuUsage(cpuBefore);
    if (sync.value.rejected.length > 0 || sync.value.applied.length !== count) throw new Error(`sync: ${sync.value.rejected.length} rejected, ${sync.value.applied.length} applied`);
    ours.push({ seconds: sync.seconds, cpu: (cpu.user + cpu.system) / 1e6, messages: sync.value.messages });
  };
  const runTheirs = async (zone: string): Promise<void> => {
    const { script, messages } = nsupdateScript(zone);
    theirs.push({ seconds: (await timed(() => bind.nsupdate(script))).seconds, messages });
  };

  for (let round = 0; round < rounds; round++) {
    const z = zonesOf(round);
    // Alternate who goes first, so neither always meets a server that has just been busy.
    if (round % 2 === 0) {
      await runOurs(z.ours);
      await runTheirs(z.theirs);
    } else {
      await runTheirs(z.theirs);
      await runOurs(z.ours);
    }
    // The re-sync with nothing to do: read the zone, compare with what is desired. The zone's own records
    // (SOA's ns) are not underlay's.
    const desired = recordsOf(z.ours);
    const noop = await timed(async () => {
      const observed = (await client.axfr(z.ours)).records.map(keyOf).filter((k) => k.startsWith('host'));
      const have = new Set(observed);
      return desired.filter((r) => !have.has(keyOf(r))).length + (observed.length - desired.length);
    });
    if (noop.value !== 0) throw new Error(`re-sync found ${noop.value} differences, expected none`);
    noops.push(noop.seconds);
    const dig = await timed(() => bind.dig(['+nocmd', '+nostats', '+nocomments', z.theirs, 'AXFR']));
    const theirCount = dig.value.split('\n').filter((l) => l.startsWith('host') && /\sIN\s+A\s/.test(l)).length;
    if (theirCount !== count) throw new Error(`the nsupdate zone holds ${theirCount} records, expected ${count}`);
    digReads.push(dig.seconds);
  }

  // A controller's everyday change is small: one record, one message, one nsupdate process each.
  const singles = 20;
  const oneOurs = await timed(async () => {
    for (let i = 0; i < singles; i++) {
      const record: DnsRecord = { name: `single${i}.${zonesOf(0).ours}`, ttl: 300, type: 'A', data: '198.18.255.1' };
      const r = await client.update({ zone: zonesOf(0).ours, groups: groupsOf([record]) });
      if (!r.ok) throw r.error;
    }
  });
  const oneTheirs = await timed(async () => {
    for (let i = 0; i < singles; i++) await bind.nsupdate(`zone ${zonesOf(0).theirs}\nprereq nxrrset single${i}.${zonesOf(0).theirs} A\nupdate add single${i}.${zonesOf(0).theirs} 300 A 198.18.255.1`);
  });

  const m = (xs: { seconds: number }[]): number => median(xs.map((x) => x.seconds));
  console.log(`records: ${count} per zone, ${rounds} rounds (fresh zones each), BIND ${bind.address}, node ${process.version}\n`);
  console.log('| step | median s | runs s | UPDATE messages |');
  console.log('|---|---|---|---|');
  console.log(`| underlay sync (${count} adds, each with a prerequisite) | ${m(ours).toFixed(2)} | ${list(ours.map((x) => x.seconds))} (client CPU ${list(ours.map((x) => x.cpu))}) | ${ours[0]!.messages} |`);
  console.log(`| nsupdate -k, the same adds, prerequisites and messages | ${m(theirs).toFixed(2)} | ${list(theirs.map((x) => x.seconds))} | ${theirs[0]!.messages} |`);
  console.log(`| underlay no-op re-sync (AXFR + compare) | ${median(noops).toFixed(2)} | ${list(noops)} | 0 |`);
  console.log(`| dig AXFR of the same size | ${median(digReads).toFixed(2)} | ${list(digReads)} | - |`);
  console.log(`| underlay, ${singles} one-record updates one after another | ${oneOurs.seconds.toFixed(2)} | ${((oneOurs.seconds / singles) * 1000).toFixed(1)} ms each | ${singles} |`);
  console.log(`| nsupdate -k, ${singles} one-record updates, a process each | ${oneTheirs.seconds.toFixed(2)} | ${((oneTheirs.seconds / singles) * 1000).toFixed(1)} ms each | ${singles} |`);
  console.log(`\nunderlay / nsupdate (medians): ${(m(ours) / m(theirs)).toFixed(2)}x`);
  console.log(`load average 1m: ${loadAtStart} at start, ${load()} at end`);
} finally {
  await bind.teardown();
}
