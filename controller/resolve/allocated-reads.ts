/**
 * Which held addresses a step's inputs read (`{fact: allocated.<entry>}`, on this node or on the nodes a
 * selector picks): its resources wait for those address resources, so that an address is allocated and up
 * before anything using it is written or started.
 */
import { resourceAddress } from '../model/resource-key.js';
import { selectNodes } from '../spec/node-selector.js';
import type { NodeSelector } from '../spec/schema.js';
import { ALLOCATED_FACT, asInputSource, type NodeView } from './input-sources.js';
import type { HeldAddress } from './ip-allocation.js';

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

/** node -> entry -> the address (`node/key`) of the address resource holding it there. */
export type HeldIndex = ReadonlyMap<string, Readonly<Record<string, string>>>;

export function heldIndex(held: readonly HeldAddress[]): HeldIndex {
  const out = new Map<string, Record<string, string>>();
  for (const h of held) {
    const entries = out.get(h.node) ?? {};
    entries[h.entry] = resourceAddress(h.node, h.key);
    out.set(h.node, entries);
  }
  return out;
}

/** The address resources a resource rendered on `node` by a step with these reads waits for, sorted. */
export function awaitedAddresses(reads: readonly AllocatedRead[], node: string, clusterNodes: readonly NodeView[], index: HeldIndex): string[] {
  const out = new Set<string>();
  for (const r of reads) {
    const nodes = r.nodes ? selectNodes(clusterNodes, r.nodes).map((n) => n.name) : [node];
    for (const n of nodes) {
      const address = index.get(n)?.[r.entry];
      if (address !== undefined) out.add(address);
    }
  }
  return [...out].sort();
}
