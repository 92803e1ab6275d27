/**
 * What `{fact: allocated.<entry>}` reads on a node: its own per-node address, or a cluster address or VIP
 * of a cluster it is in. A step's resources that read one wait for it (the address resource on its holder,
 * else its allocation), so an address is allocated and up before anything using it is written or started.
 */
import { selectNodes } from '../spec/node-selector.js';
import type { NodeSelector } from '../spec/schema.js';
import { ALLOCATED_FACT, asInputSource, type NodeView } from './input-sources.js';
import type { AllocatedAddress, AllocationResult } from './ip-allocation.js';

export interface AllocatedRead {
  entry: string;
  /** Absent: this node's. */
  nodes?: NodeSelector;
}

export function allocatedReads(withValues: Readonly<Record<string, unknown>>): AllocatedRead[] {
  const out: AllocatedRead[] = [];
  for (const value of Object.values(withValues)) {
    const source = asInputSource(value);
    if (!source || !('fact' in source) || !source.fact.startsWith(ALLOCATED_FACT)) continue;
    const entry = source.fact.slice(ALLOCATED_FACT.length);
    out.push('nodes' in source ? { entry, nodes: source.nodes } : { entry });
  }
  return out;
}

/** node -> entry -> what it reads as `allocated.<entry>`. */
export type AllocatedIndex = ReadonlyMap<string, Readonly<Record<string, AllocatedAddress>>>;

/** Per node: the cluster addresses of its clusters (in cluster name order), then its own per-node ones. */
export function allocatedIndex(allocation: AllocationResult, clustersOf: ReadonlyMap<string, readonly string[]>): AllocatedIndex {
  const out = new Map<string, Record<string, AllocatedAddress>>();
  for (const [node, clusters] of clustersOf) {
    const entries: Record<string, AllocatedAddress> = {};
    for (const c of clusters) Object.assign(entries, allocation.clusterAddresses.get(c));
    Object.assign(entries, allocation.perNode.get(node));
    out.set(node, entries);
  }
  return out;
}

/** What a resource rendered on `node` by a step with these reads waits for, sorted. */
export function awaitedAddresses(reads: readonly AllocatedRead[], node: string, clusterNodes: readonly NodeView[], index: AllocatedIndex): string[] {
  const out = new Set<string>();
  for (const r of reads) {
    const nodes = r.nodes ? selectNodes(clusterNodes, r.nodes).map((n) => n.name) : [node];
    for (const n of nodes) {
      const read = index.get(n)?.[r.entry];
      if (read !== undefined) out.add(read.awaits);
    }
  }
  return [...out].sort();
}
