/**
 * A resource that names an allocated address (a certificate whose IP SANs hold a VIP) waits for it, as a
 * step reading `{fact: allocated.<entry>}` does (allocated-reads.ts), also when the address reached it
 * another way: a literal, a param, another step's output. Otherwise a first apply could sign a certificate
 * for a VIP before its allocation is recorded, or, should that fail, for an address nobody holds.
 */
import { canonicalAddress, parseAddress } from '../model/ip.js';
import { registry } from '../../reconcilers/registry.js';
import type { PlacedResource } from './dependencies.js';
import type { AllocatedIndex } from './allocated-reads.js';

/** Canonical address -> what a resource using it waits for (its address resource on its holder, else its allocation). */
function awaitsByAddress(index: AllocatedIndex): Map<string, string> {
  const out = new Map<string, string>();
  for (const entries of index.values()) for (const a of Object.values(entries)) out.set(canonicalAddress(a.address), a.awaits);
  return out;
}

const namers = new Map(registry.nodeKinds.flatMap((k) => (k.order.namesAddresses ? [[k.kind, k.order.namesAddresses.bind(k.order)] as const] : [])));

/** Adds to `awaits` what each placed resource naming an allocated address waits for. */
export function awaitNamedAddresses(placed: ReadonlyMap<string, readonly PlacedResource[]>, index: AllocatedIndex, awaits: Map<PlacedResource, string[]>): void {
  const byAddress = awaitsByAddress(index);
  if (byAddress.size === 0) return;
  for (const resources of placed.values()) {
    for (const r of resources) {
      const names = namers.get(r.spec.kind)?.(r.spec as never) ?? [];
      const waits = names.flatMap((n) => {
        const w = parseAddress(n) === null ? undefined : byAddress.get(canonicalAddress(n));
        return w === undefined ? [] : [w];
      });
      if (waits.length > 0) awaits.set(r, [...new Set([...(awaits.get(r) ?? []), ...waits])].sort());
    }
  }
}
