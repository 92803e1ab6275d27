/**
 * Observe starts from the desired targets: the pools from the ledger (all of them, so a pool Git no longer
 * names is still pruned), the zones the desired state writes to from their provider, each only when its
 * provider is given.
 */
import test from 'ava';
import { steppingClock } from '../clock.js';
import type { DesiredServiceResource } from '../model/desired.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { ledgerPools } from '../targets/pool-provider.js';
import type { ZoneTargetProvider } from '../targets/zone-provider.js';
import { observeSite } from './observe-site.js';
import { desired } from '../../test/support/build-desired.js';
import { unusedTransport } from '../../test/support/fake-apply.js';
import { registry } from '../../reconcilers/registry.js';

const origin = { cluster: 'lab', step: 'dns', module: '', location: { file: 'cluster.yaml', line: 1, column: 1 } };
const record = (zone: string, name: string): DesiredServiceResource => ({
  key: `dns:${zone}/${name}/A`,
  target: { name: zone, type: 'zone' },
  spec: { kind: 'dns', zone, name, type: 'A', value: '10.0.0.1', ttl: 60 } as DesiredServiceResource['spec'],
  origin,
});

test('pools are read from the ledger and the zones the site uses from their provider, others\' records only where Git wants one; without providers neither is observed', async (t) => {
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  t.teardown(() => store.close());
  await store.ledger().allocate({ pool: 'vips', name: 'lab.vip', address: '10.0.0.4' });
  await store.ledger().allocate({ pool: 'gone', name: 'old.vip', address: '10.1.0.4' });
  const asked: string[] = [];
  const zone: ZoneTargetProvider = {
    observe: (name, at) =>
      Promise.resolve(void asked.push(`${name} ${at.apex}`)).then(() => ({
        records: { 'n1.lab.example.net./A': '10.0.0.9' },
        heldElsewhere: { 'n2.lab.example.net./A': 'not managed by underlay', 'www.lab.example.net./A': 'owned by site other' },
      })),
    write: () => Promise.reject(new Error('observe writes nothing')),
  };
  const at = { apex: 'lab.example.net.', server: { address: '10.0.0.53', port: 53 }, tsigKeySecret: 'tsig', policy: 'sync' as const };
  const site = { ...desired([]), services: [record('lab', 'n1.lab.example.net.'), record('lab', 'n2.lab.example.net.')], zones: { lab: at } };
  const base = { desired: site, registry, transport: unusedTransport, concurrency: 1, clock: steppingClock() };

  const inventory = await observeSite({ ...base, targets: { pool: ledgerPools(store.ledger()), zone } });
  t.is(inventory.apiVersion, 'underlay.dev/v1alpha2');
  t.deepEqual(inventory.pools, { gone: { allocations: { 'old.vip': '10.1.0.4' } }, vips: { allocations: { 'lab.vip': '10.0.0.4' } } });
  t.deepEqual(inventory.zones, { lab: { records: { 'n1.lab.example.net./A': '10.0.0.9' }, heldElsewhere: { 'n2.lab.example.net./A': 'not managed by underlay' } } });
  t.deepEqual(asked, ['lab lab.example.net.'], 'each zone is read once, where its DNSZone says');

  const bare = await observeSite(base);
  t.deepEqual([bare.pools, bare.zones], [{}, {}]);
});
