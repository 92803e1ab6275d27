/**
 * Addresses for cluster services (a load-balancer VIP, say), taken from IPPools. An address once allocated
 * stays with its allocation (the inventory remembers it); a new allocation gets the lowest free address,
 * so the same repository and inventory always give the same answer.
 */
import { fieldPath } from '../spec/diagnostic.js';
import type { IPPoolDoc } from '../spec/schema.js';
import type { Spec } from '../spec/spec.js';
import type { DesiredServiceResource } from './desired.js';
import type { DiagnosticSink } from './diagnostic-sink.js';

interface Family {
  bits: number;
  parse(text: string): bigint;
  format(value: bigint): string;
}

const V4: Family = {
  bits: 32,
  parse: (t) => t.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n),
  format: (v) => [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.'),
};

function expandV6(text: string): string[] {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  if (tail === undefined) return left;
  const right = tail ? tail.split(':') : [];
  return [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
}

const V6: Family = {
  bits: 128,
  parse: (t) => expandV6(t.toLowerCase()).reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n),
  // RFC 5952 canonical text: lowercase, no leading zeros, the longest run of zero groups as `::`.
  format: (v) => {
    const groups = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt((7 - i) * 16)) & 0xffffn));
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8; ) {
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLen) [best, bestLen] = [i, j - i];
      i = j === i ? i + 1 : j;
    }
    const hex = groups.map((g) => g.toString(16));
    if (best < 0) return hex.join(':');
    return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
  },
};

export const familyOf = (address: string): Family | null => (/^\d+\.\d+\.\d+\.\d+$/.test(address) ? V4 : address.includes(':') ? V6 : null);

/** Canonical text of an address, so "10.0.0.01"-style spellings compare equal. */
export function canonicalAddress(address: string): string {
  const family = familyOf(address);
  return family ? family.format(family.parse(address)) : address;
}

export interface PoolState {
  first: bigint;
  last: bigint;
  family: Family;
  taken: Set<bigint>;
}

/** The allocatable range of a pool, with its reserved, gateway and node addresses already taken. */
export function poolState(pool: IPPoolDoc['spec'], nodeAddresses: readonly string[]): PoolState {
  const [base, prefixText] = pool.cidr.split('/') as [string, string];
  const family = familyOf(base)!;
  const prefix = BigInt(Number(prefixText));
  const hostBits = BigInt(family.bits) - prefix;
  const network = (family.parse(base) >> hostBits) << hostBits;
  const broadcast = network + (1n << hostBits) - 1n;
  // Network and broadcast addresses only exist for IPv4 subnets with room for hosts.
  const edges = family === V4 && hostBits >= 2n ? 1n : 0n;
  const first = pool.range ? family.parse(pool.range.start) : network + edges;
  const last = pool.range ? family.parse(pool.range.end) : broadcast - edges;
  const taken = new Set<bigint>();
  for (const a of [...pool.reserved, ...(pool.gateway ? [pool.gateway] : []), ...nodeAddresses]) {
    if (familyOf(a) === family) taken.add(family.parse(a));
  }
  return { first, last, family, taken };
}

export function allocateLowest(state: PoolState): string | null {
  for (let a = state.first; a <= state.last; a++) {
    if (!state.taken.has(a)) {
      state.taken.add(a);
      return state.family.format(a);
    }
  }
  return null;
}

/** Marks an address the inventory already holds as taken (when it belongs to the pool's family). */
export function markTaken(state: PoolState, address: string): void {
  if (familyOf(address) === state.family) state.taken.add(state.family.parse(address));
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
      state = poolState(spec.pools[pool]!.doc.spec, nodeAddresses);
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
      if (!spec.pools[request.pool]) {
        sink.error('DanglingReference', `no IPPool "${request.pool}"`, cluster.locate([...path, 'pool']), fieldPath([...path, 'pool']));
        return;
      }
      const kept = allocations[`${request.pool}/${name}`];
      const address = kept ?? allocateLowest(stateOf(request.pool));
      if (address === undefined || address === null) {
        sink.error('PoolExhausted', `IPPool "${request.pool}" has no free address left for "${name}"`, cluster.locate(path), fieldPath(path));
        return;
      }
      out.push({ key: `ip:${request.pool}/${name}`, target: `pool:${request.pool}`, spec: { kind: 'ip', pool: request.pool, name, address }, origin });
    });
  }
  return out;
}
