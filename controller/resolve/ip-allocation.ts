/**
 * Addresses for cluster services (a load-balancer VIP, say), taken from IPPools. An address once allocated
 * stays with its allocation (the inventory remembers it); a new allocation gets the lowest free address,
 * so the same repository and inventory always give the same answer.
 */
import { fieldPath } from '../spec/diagnostic.js';
import { poolLayout } from '../spec/ip-pool.js';
import { formatAddress, parseAddress, type AddressFamily } from '../model/ip.js';
import type { IPPoolDoc } from '../spec/schema.js';
import type { Spec } from '../spec/spec.js';
import type { DesiredIpAllocation } from '../../reconcilers/ip/kind.js';
import type { DesiredServiceResource } from '../model/desired.js';
import type { DiagnosticSink } from './diagnostic-sink.js';
import { UncheckedSpec } from './unchecked-spec.js';

export interface PoolState {
  first: bigint;
  last: bigint;
  family: AddressFamily;
  taken: Set<bigint>;
}

/** The allocatable range of a pool, with its reserved, gateway and node addresses already taken. */
export function poolState(name: string, pool: IPPoolDoc['spec'], nodeAddresses: readonly string[]): PoolState {
  const { layout, problems } = poolLayout(pool);
  // Load reports every problem of a pool (pools.ts, through the same poolLayout).
  if (!layout) throw new UncheckedSpec(`IPPool "${name}": ${problems[0]!.message}`);
  const state: PoolState = { first: layout.first, last: layout.last, family: layout.family, taken: new Set(layout.reserved) };
  for (const address of nodeAddresses) markTaken(state, address);
  return state;
}

export function allocateLowest(state: PoolState): string | null {
  for (let a = state.first; a <= state.last; a++) {
    if (!state.taken.has(a)) {
      state.taken.add(a);
      return formatAddress({ family: state.family, value: a });
    }
  }
  return null;
}

/** Marks an address as taken when it is one of the pool's family (host names and the other family are not). */
export function markTaken(state: PoolState, text: string): void {
  const address = parseAddress(text);
  if (address?.family === state.family) state.taken.add(address.value);
}

/**
 * `ip:<pool>/<cluster>.<name>` for every `cluster.addresses` entry. `allocations` ('pool/name' -> address)
 * is what the inventory says is already allocated: kept as is, and never handed out again.
 */
export function allocateClusterAddresses(spec: Spec, allocations: Readonly<Record<string, string>>, sink: DiagnosticSink): DesiredServiceResource[] {
  const nodeAddresses = Object.values(spec.nodes).map((n) => n.doc.spec.address);
  const states = new Map<string, PoolState>();
  const stateOf = (pool: string): PoolState => {
    let state = states.get(pool);
    if (!state) {
      const doc = spec.pools[pool];
      if (!doc) throw new UncheckedSpec(`no IPPool "${pool}"`);
      state = poolState(pool, doc.doc.spec, nodeAddresses);
      for (const [key, address] of Object.entries(allocations)) if (key.startsWith(`${pool}/`)) markTaken(state, address);
      states.set(pool, state);
    }
    return state;
  };
  const out: DesiredServiceResource[] = [];
  for (const clusterName of Object.keys(spec.clusters).sort()) {
    const cluster = spec.clusters[clusterName]!;
    cluster.doc.spec.addresses.forEach((request, i) => {
      const path = ['spec', 'addresses', i];
      const name = `${clusterName}.${request.name}`;
      const origin = { cluster: clusterName, step: 'addresses', module: '', location: cluster.locate(path) };
      const state = stateOf(request.pool);
      const kept = allocations[`${request.pool}/${name}`];
      const address = kept ?? allocateLowest(state);
      if (address === undefined || address === null) {
        sink.error('PoolExhausted', `IPPool "${request.pool}" has no free address left for "${name}"`, { location: cluster.locate(path), field: fieldPath(path) });
        return;
      }
      const spec: DesiredIpAllocation = { kind: 'ip', pool: request.pool, name, address };
      out.push({ key: `ip:${request.pool}/${name}`, target: { name: request.pool, type: 'pool' }, spec, origin });
    });
  }
  return out;
}
