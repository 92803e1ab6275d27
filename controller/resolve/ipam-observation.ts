/**
 * What allocation needs to know of the world, taken from an inventory (pure): the pools' ledgers (live and
 * released allocations, the ARP conflicts observe found) and the addresses on the nodes' interfaces, told
 * apart by whether underlay's `address` kind manages them there (the node's managed record).
 */
import type { Inventory, InventoryNode } from '../model/observed.js';
import { knownAllocations } from '../model/observed.js';
import { ADDRESS_KIND, parseAddressIdentity } from '../../reconcilers/address/identity.js';

export interface InterfaceAddress {
  node: string;
  interface: string;
  address: string;
  prefixLength: number;
  /** For a managed one: the hash its managed record keeps. */
  hash?: string;
}

export interface IpamObservation {
  /** 'pool/name' -> address: the live allocations. */
  allocations: Readonly<Record<string, string>>;
  /** 'pool/name' -> the address it last held and when it was released: held during the pool's releaseAfter. */
  released: Readonly<Record<string, { address: string; releasedAt: string }>>;
  /** Pool -> address -> why it is in use outside underlay (an ARP answer). */
  conflicts: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Addresses on a node's interface that no address resource of underlay holds there. */
  unmanaged: readonly InterfaceAddress[];
  /** Addresses an address resource of underlay holds on a node (managed record and probe agree): re-adopted when the ledger lost them. */
  managed: readonly InterfaceAddress[];
  /** The planner's now (ISO), for grace periods; absent when nothing was observed. */
  now?: string | undefined;
}

export const NOTHING_OBSERVED: IpamObservation = { allocations: {}, released: {}, conflicts: {}, unmanaged: [], managed: [] };

interface FactAddress {
  interface?: unknown;
  address?: unknown;
  prefixLength?: unknown;
}

/** The node's address resources the managed record lists and the probe found up: `interface/address` -> recorded hash. */
function managedHere(node: InventoryNode): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, { hash }] of Object.entries(node.managed)) {
    if (!key.startsWith(`${ADDRESS_KIND}:`)) continue;
    const id = parseAddressIdentity(key.slice(ADDRESS_KIND.length + 1));
    if (id && node.resources[key]?.present === true) out.set(`${id.interface}/${id.address}`, hash);
  }
  return out;
}

function interfaceAddresses(name: string, node: InventoryNode, managed: InterfaceAddress[], unmanaged: InterfaceAddress[]): void {
  const facts = node.facts.addresses;
  if (!node.reachable || !Array.isArray(facts)) return;
  const held = managedHere(node);
  for (const f of facts as FactAddress[]) {
    if (typeof f.interface !== 'string' || typeof f.address !== 'string' || typeof f.prefixLength !== 'number') continue;
    const entry = { node: name, interface: f.interface, address: f.address, prefixLength: f.prefixLength };
    const hash = held.get(`${f.interface}/${f.address}`);
    if (hash === undefined) unmanaged.push(entry);
    else managed.push({ ...entry, hash });
  }
}

export function ipamObservation(inventory: Inventory): IpamObservation {
  const released: Record<string, { address: string; releasedAt: string }> = {};
  const conflicts: Record<string, Record<string, string>> = {};
  for (const [pool, p] of Object.entries(inventory.pools)) {
    for (const [name, r] of Object.entries(p.released ?? {})) released[`${pool}/${name}`] = r;
    if (p.conflicts) conflicts[pool] = p.conflicts;
  }
  const managed: InterfaceAddress[] = [];
  const unmanaged: InterfaceAddress[] = [];
  for (const name of Object.keys(inventory.nodes).sort()) interfaceAddresses(name, inventory.nodes[name]!, managed, unmanaged);
  return { allocations: knownAllocations(inventory), released, conflicts, unmanaged, managed, now: inventory.observedAt };
}
