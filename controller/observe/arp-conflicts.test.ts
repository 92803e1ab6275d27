import test from 'ava';
import { emptyInventory, type Inventory } from '../model/observed.js';
import type { Desired } from '../model/desired.js';
import type { ExecResult, Transport } from '../transport/transport.js';
import { observeArpConflicts } from './arp-conflicts.js';
import { resolveSite } from '../resolve/resolve-site.js';
import { ipamObservation } from '../resolve/ipam-observation.js';
import { clusterDoc, doc, moduleDoc, node, testSpec } from '../../test/support/build-spec.js';

const spec = testSpec([
  node('n1', '198.18.0.2'),
  doc('IPPool', 'lan', { cidr: '10.9.0.0/24', range: { start: '10.9.0.10', end: '10.9.0.20' } }),
  moduleDoc('m', {}),
  clusterDoc('c', { nodes: {}, addresses: [{ name: 'vip', pool: 'lan', holder: {}, interface: 'eth1' }], steps: [{ name: 's', module: 'm' }] }),
]);
const resolve = (inventory: Inventory): Desired | null => resolveSite(spec, {}, {}, { ipam: ipamObservation(inventory) }).desired;

/** A node on whose network 10.9.0.10 and 10.9.0.11 answer ARP; records what it was asked. */
function network(asked: string[][]): Transport {
  return {
    exec(_node: unknown, argv: readonly string[]): Promise<ExecResult> {
      const pairs = argv.slice(4);
      asked.push(pairs);
      const lines: string[] = [];
      for (let i = 0; i < pairs.length; i += 2) {
        const taken = pairs[i + 1] === '10.9.0.10' || pairs[i + 1] === '10.9.0.11';
        lines.push(`${pairs[i]}\t${pairs[i + 1]}\t${taken ? 1 : 0}\t${taken ? '52:54:00:AA:BB:CC' : ''}`);
      }
      return Promise.resolve({ code: 0, stdout: Buffer.from(lines.join('\n') + '\n'), stderr: Buffer.alloc(0) } as ExecResult);
    },
  } as unknown as Transport;
}

test('a new allocation answering ARP becomes a conflict, and the next address is asked about, until one is silent', async (t) => {
  const asked: string[][] = [];
  const inventory = { ...emptyInventory(), observedAt: '2026-01-01T00:00:00.000Z', nodes: { n1: { reachable: true, facts: {}, managed: {}, resources: {} } } };
  const observed = await observeArpConflicts(inventory, resolve, { transport: network(asked), concurrency: 2 });
  t.deepEqual(asked, [['eth1', '10.9.0.10'], ['eth1', '10.9.0.11'], ['eth1', '10.9.0.12']]);
  t.deepEqual(observed.pools.lan?.conflicts, {
    '10.9.0.10': 'answers ARP from node n1 on eth1 (52:54:00:aa:bb:cc)',
    '10.9.0.11': 'answers ARP from node n1 on eth1 (52:54:00:aa:bb:cc)',
  });
  const desired = resolve(observed)!;
  t.is((desired.services[0]!.spec as unknown as { address: string }).address, '10.9.0.12');
});

test('an allocation the ledger already holds is not asked about again', async (t) => {
  const asked: string[][] = [];
  const inventory: Inventory = { ...emptyInventory(), nodes: { n1: { reachable: true, facts: {}, managed: {}, resources: {} } }, pools: { lan: { allocations: { 'c.vip': '10.9.0.10' } } } };
  const observed = await observeArpConflicts(inventory, resolve, { transport: network(asked), concurrency: 2 });
  t.deepEqual(asked, []);
  t.is(observed, inventory);
});
