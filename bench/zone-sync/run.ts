/**
 * bench/zone-sync: 10,000 records through the zone target (controller/targets/rfc2136-zone-provider.ts) to a
 * real BIND on a test host, the way apply hands them over: every change of one dependency level in one
 * write (the dns kind's applyLevel), each record with its ownership record and its prerequisites.
 *
 *   npm run bench:zone -- [--records 10000]
 *
 * 1. The first sync: 10,000 creates handed over together; time and UPDATE messages sent.
 * 2. The re-sync with nothing to do: observe (TSIG-verified AXFR of records and ownership records, read back
 *    into what the site owns) and plan (the dns kind's diff of 10,000 desired records): time, no change.
 * Load average (1 minute) is printed at the start and the end: the machine is shared.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../../controller/clock.js';
import type { Desired, DesiredServiceResource } from '../../controller/model/desired.js';
import { INVENTORY_API_VERSION } from '../../controller/model/observed.js';
import { makePlan } from '../../controller/plan/make-plan.js';
import { DirectorySecretStore } from '../../controller/secrets/secret-store.js';
import { DnsClient } from '../../controller/services/dns/dns-client.js';
import { Rfc2136ZoneProvider, type ZoneClient } from '../../controller/targets/rfc2136-zone-provider.js';
import { FAKE_COMMIT } from '../../test/support/revision-from-dir.js';
import { startBindServer } from '../../test/support/bind-server.js';
import type { DesiredDnsRecord } from '../../reconcilers/dns/kind.js';
import { registry } from '../../reconcilers/registry.js';
import { option } from '../support/bench-args.js';

const count = Number(option('records', '10000'));
const ZONE = 'zone.bench.test';
const load = (): string => loadavg()[0]!.toFixed(1);
const seconds = (start: number): string => ((performance.now() - start) / 1000).toFixed(2);

const records: DesiredDnsRecord[] = Array.from({ length: count }, (_, i) => ({
  kind: 'dns',
  zone: 'bench',
  name: `host${i}.${ZONE}.`,
  type: 'A',
  value: `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
  ttl: 300,
}));

async function main(): Promise<void> {
  console.log(`load average at start: ${load()}`);
  const bind = await startBindServer({ zones: [ZONE] });
  try {
    const at = { apex: `${ZONE}.`, server: { address: bind.address, port: bind.port }, tsigKeySecret: bind.keySecretName, policy: 'sync' as const };
    let messages = 0;
    const counting = (client: DnsClient): ZoneClient => ({
      axfr: (zone) => client.axfr(zone),
      sync: async (zone, groups) => {
        const result = await client.sync(zone, groups);
        messages += result.messages;
        return result;
      },
    });
    const zones = new Rfc2136ZoneProvider({
      site: 'bench',
      secrets: new DirectorySecretStore(bind.secretDir),
      clock: systemClock,
      client: (z, key) => counting(new DnsClient({ server: { host: z.server.address, port: z.server.port }, key, clock: systemClock, timeoutMs: 120_000 })),
    });
    await zones.observe('bench', at);

    let start = performance.now();
    const failed = await zones.write('bench', records.map((r) => ({ id: r.name, record: { name: r.name, type: r.type, value: r.value, ttl: r.ttl }, before: null, remove: false })));
    if (failed.size > 0) throw new Error(`${failed.size} records failed: ${[...failed.values()][0]!.message}`);
    console.log(`first sync: ${count} records (and ${count} ownership records) in ${seconds(start)} s, ${messages} UPDATE messages`);

    start = performance.now();
    const observed = await zones.observe('bench', at);
    const read = seconds(start);
    const services: DesiredServiceResource[] = records.map((spec) => ({
      key: `dns:bench/${spec.name}/A`,
      target: { name: 'bench', type: 'zone' },
      spec,
      origin: { cluster: 'bench', step: 'dns', module: '', location: { file: 'bench.yaml', line: 1, column: 1 } },
    }));
    const desired: Desired = { revision: { source: 'bench', ref: 'main', commit: FAKE_COMMIT, worktree: false }, site: 'bench', nodes: [], services, clusters: [], zones: { bench: at } };
    const plan = makePlan(desired, { apiVersion: INVENTORY_API_VERSION, kind: 'Inventory', nodes: {}, pools: {}, zones: { bench: observed } }, { registry });
    console.log(`re-sync with nothing to do: observe ${read} s (${Object.keys(observed.records).length} owned records read), observe + plan ${seconds(start)} s, ${plan.changes.length} changes`);
  } finally {
    await bind.teardown();
  }
  console.log(`load average at end: ${load()}`);
}

await main();
