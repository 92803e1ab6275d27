/**
 * Addresses from IPPools for the clusters' claims (address-claims.ts): plain cluster addresses, VIPs and
 * per-node addresses. Stable: an allocation the ledger holds never moves, and a new one gets the lowest
 * address nothing holds, so adding, removing or reordering nodes renumbers nobody, and the same repository
 * and observation always give the same answer. Before the lowest free address, a claim gets back what it
 * held: the address it was released from (its grace period keeps it from everyone else), or, when the
 * ledger lost it (the state directory is gone), the address underlay's address resource still holds on
 * its node (re-adopted: first the one brought up for this very allocation, then any of the pool there). Held in grace, answering ARP, or up on an interface underlay does not manage:
 * such addresses are never handed out, and the last two are reported.
 */
import { durationMs, poolLayout, poolPrefixLength } from '../spec/ip-pool.js';
import { contains, formatAddress, parseAddress, parseCidr, type Address, type AddressFamily, type AddressRange } from '../model/ip.js';
import type { IPPoolDoc } from '../spec/schema.js';
import type { Spec } from '../spec/spec.js';
import type { DesiredIpAllocation } from '../../reconcilers/ip/kind.js';
import type { DesiredAddress } from '../../reconcilers/address/schema.js';
import { ADDRESS_KIND, addressIdentity } from '../../reconcilers/address/identity.js';
import { addressHash } from '../../reconcilers/address/kind.js';
import type { DesiredServiceResource, ResourceOrigin } from '../model/desired.js';
import { targetLabel } from '../model/target.js';
import { resourceAddress } from '../model/resource-key.js';
import type { DiagnosticSink } from './diagnostic-sink.js';
import type { NodeView } from './input-sources.js';
import { addressClaims, type AddressClaim } from './address-claims.js';
import type { InterfaceAddress, IpamObservation } from './ipam-observation.js';
import { UncheckedSpec } from './unchecked-spec.js';

export interface PoolState {
  first: bigint;
  last: bigint;
  family: AddressFamily;
  taken: Set<bigint>;
  /** Every address below it is taken: allocation only ever takes more, so the search starts here. */
  next: bigint;
}

/** The allocatable range of a pool, with its reserved, gateway and node addresses already taken. */
export function poolState(name: string, pool: IPPoolDoc['spec'], nodeAddresses: readonly string[]): PoolState {
  const { layout, problems } = poolLayout(pool);
  // Load reports every problem of a pool (pools.ts, through the same poolLayout).
  if (!layout) throw new UncheckedSpec(`IPPool "${name}": ${problems[0]!.message}`);
  const state: PoolState = { first: layout.first, last: layout.last, family: layout.family, taken: new Set(layout.reserved), next: layout.first };
  for (const address of nodeAddresses) markTaken(state, address);
  return state;
}

export function allocateLowest(state: PoolState): string | null {
  for (let a = state.next; a <= state.last; a++) {
    if (!state.taken.has(a)) {
      state.taken.add(a);
      state.next = a + 1n;
      return formatAddress({ family: state.family, value: a });
    }
  }
  state.next = state.last + 1n;
  return null;
}

/** Marks an address as taken when it is one of the pool's family (host names and the other family are not). */
export function markTaken(state: PoolState, text: string): void {
  const address = parseAddress(text);
  if (address?.family === state.family) state.taken.add(address.value);
}

/** An address resource to place on the node that holds a claim, after its allocation (`awaits`, a change id). */
export interface HeldAddress {
  node: string;
  /** The entry's name (`{fact: allocated.<entry>}`). */
  entry: string;
  key: string;
  spec: DesiredAddress;
  awaits: string;
  origin: ResourceOrigin;
}

/** An allocated address as a node reads it (`{fact: allocated.<entry>}`), and what a resource reading it waits for. */
export interface AllocatedAddress {
  address: string;
  /** The address resource on its holder (`node/key`), else its ip change's id. */
  awaits: string;
}

export interface AllocationResult {
  /** The `ip:` resources, one per claim that got an address. */
  services: DesiredServiceResource[];
  /** cluster -> entry -> a cluster address or VIP: every node of the cluster reads it. */
  clusterAddresses: Map<string, Record<string, AllocatedAddress>>;
  /** node -> entry -> its own per-node address. */
  perNode: Map<string, Record<string, AllocatedAddress>>;
  held: HeldAddress[];
}

/** One pool's state in this resolve, and who holds a released address during its grace period. */
interface PoolBook {
  state: PoolState;
  doc: IPPoolDoc['spec'];
  cidr: AddressRange;
  heldFor: Map<bigint, string>;
  claimants: string[];
  /** What underlay does not manage but uses, by address: the new allocation that skips one says so. */
  conflicts: Map<bigint, string>;
}

const ipKey = (pool: string, name: string): string => `ip:${pool}/${name}`;

/** Whether a release at `releasedAt` is still in its grace period at `now` (always, when there is no now). */
function inGrace(releasedAt: string, releaseAfter: string, now: string | undefined): boolean {
  if (now === undefined) return true;
  return Date.parse(releasedAt) + durationMs(releaseAfter) > Date.parse(now);
}

/** What underlay does not manage but uses an address of the pool: not handed out, and said so once per address. */
function markConflicts(book: PoolBook, pool: string, observation: IpamObservation, report: (address: string, why: string) => void): void {
  const { state } = book;
  const conflict = (text: string, why: string): void => {
    const address = parseAddress(text);
    if (!address || address.family !== state.family || address.value < state.first || address.value > state.last || state.taken.has(address.value)) return;
    state.taken.add(address.value);
    book.conflicts.set(address.value, `${text}: ${why}`);
    report(text, why);
  };
  for (const [address, why] of Object.entries(observation.conflicts[pool] ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) conflict(address, why);
  for (const u of observation.unmanaged) conflict(u.address, `it is up on ${u.interface} of node ${u.node}, and underlay did not put it there`);
}

/** What every pool of one resolve opens from: the site, its node (SSH) addresses parsed once, the observation. */
interface AllocationContext {
  spec: Spec;
  nodeAddresses: Address[];
  observation: IpamObservation;
  sink: DiagnosticSink;
}

function openPool(pool: string, { spec, nodeAddresses, observation, sink }: AllocationContext): PoolBook {
  const located = spec.pools[pool];
  if (!located) throw new UncheckedSpec(`no IPPool "${pool}"`);
  const doc = located.doc.spec;
  const state = poolState(pool, doc, []);
  for (const a of nodeAddresses) if (a.family === state.family && a.value >= state.first && a.value <= state.last) state.taken.add(a.value);
  const book: PoolBook = { state, doc, cidr: parseCidr(doc.cidr)!, heldFor: new Map(), claimants: [], conflicts: new Map() };
  for (const [key, address] of Object.entries(observation.allocations)) if (key.startsWith(`${pool}/`)) markTaken(state, address);
  for (const [key, r] of Object.entries(observation.released)) {
    const address = parseAddress(r.address);
    if (!key.startsWith(`${pool}/`) || !address || state.taken.has(address.value) || !inGrace(r.releasedAt, doc.releaseAfter, observation.now)) continue;
    state.taken.add(address.value);
    book.heldFor.set(address.value, key.slice(pool.length + 1));
  }
  const place = { location: located.locate(['spec', 'cidr']), field: 'spec.cidr' };
  markConflicts(book, pool, observation, (address, why) => sink.warning('AddressConflict', `IPPool "${pool}": ${address} is in use outside underlay (${why}): it is not handed out`, place));
  return book;
}

type Assigned = { address: string; note?: string };

/** What one pass of assignAddresses needs: the claim's pool, and the addresses underlay holds on the nodes by `node/interface`. */
interface PassContext {
  book: PoolBook;
  observation: IpamObservation;
  onNodes: ReadonlyMap<string, InterfaceAddress[]>;
}

/** The address the claim was released from, if no one else got it since. */
function releasedBack(claim: AddressClaim, { book, observation }: PassContext): Assigned | null {
  const released = observation.released[`${claim.pool}/${claim.name}`];
  const back = released ? parseAddress(released.address) : null;
  if (!released || !back || (book.heldFor.get(back.value) !== claim.name && book.state.taken.has(back.value))) return null;
  return { address: released.address, note: `back: it held this address until ${released.releasedAt}` };
}

/**
 * An address of the pool underlay's address resource holds on the claim's node and interface, still free.
 * `exact`: only the one whose recorded hash says it was brought up for this very allocation (its spec names it),
 * so that a node holding a VIP and its own address from one pool gets each back under its own name.
 */
function adopted(claim: AddressClaim, { book, onNodes }: PassContext, exact: boolean): Assigned | null {
  if (!claim.holder || onNodes.size === 0) return null;
  const { node, interface: iface } = claim.holder;
  const prefixLength = poolPrefixLength(book.doc);
  for (const up of onNodes.get(`${node}/${iface}`) ?? []) {
    const address = parseAddress(up.address);
    if (!address || !contains(book.cidr, address) || book.state.taken.has(address.value)) continue;
    if (exact && up.hash !== addressHash({ interface: iface, address: up.address, prefixLength, allocation: `${claim.pool}/${claim.name}` })) continue;
    return { address: up.address, note: `re-adopted: underlay's address resource holds it on ${iface} of node ${node}` };
  }
  return null;
}

/** Getting an address back before any new one is handed out, in this order (see the file's comment). */
const RETURNING: readonly ((claim: AddressClaim, ctx: PassContext) => Assigned | null)[] = [
  releasedBack,
  (claim, ctx) => adopted(claim, ctx, true),
  (claim, ctx) => adopted(claim, ctx, false),
];

/** The conflicts a new allocation passed over on its way from `from` to just below `to`, as its plan note. */
function skippedNote(book: PoolBook, from: bigint, to: bigint): { note?: string } {
  if (book.conflicts.size === 0) return {};
  const skipped = [...book.conflicts].filter(([a]) => a >= from && a < to - 1n).sort(([a], [b]) => (a < b ? -1 : 1));
  return skipped.length === 0 ? {} : { note: `skipped ${skipped.map(([, why]) => why).join('; ')}` };
}

function exhausted(claim: AddressClaim, book: PoolBook, sink: DiagnosticSink): void {
  const size = book.state.last - book.state.first + 1n;
  const names = book.claimants.length > 20 ? [...book.claimants.slice(0, 20), `and ${book.claimants.length - 20} more`] : book.claimants;
  sink.error('PoolExhausted', `IPPool "${claim.pool}" has no free address left for "${claim.name}": its range holds ${size} addresses, and it is claimed by ${names.join(', ')}`, {
    location: claim.location,
    field: claim.field,
  });
}

/** Every claim's address, pass by pass, so that nothing held is ever taken by a newcomer (see the file's comment). */
function assignAddresses(claims: readonly AddressClaim[], books: (pool: string) => PoolBook, observation: IpamObservation, sink: DiagnosticSink): Map<AddressClaim, Assigned> {
  const out = new Map<AddressClaim, Assigned>();
  for (const claim of claims) {
    books(claim.pool).claimants.push(claim.name);
    const kept = observation.allocations[`${claim.pool}/${claim.name}`];
    if (kept !== undefined) out.set(claim, { address: kept });
  }
  const onNodes = new Map<string, InterfaceAddress[]>();
  for (const m of observation.managed) onNodes.set(`${m.node}/${m.interface}`, [...(onNodes.get(`${m.node}/${m.interface}`) ?? []), m]);
  for (const pass of RETURNING) {
    for (const claim of claims) {
      if (out.has(claim)) continue;
      const book = books(claim.pool);
      const back = pass(claim, { book, observation, onNodes });
      if (!back) continue;
      markTaken(book.state, back.address);
      out.set(claim, back);
    }
  }
  for (const claim of claims) {
    if (out.has(claim)) continue;
    const book = books(claim.pool);
    const from = book.state.next;
    const address = allocateLowest(book.state);
    if (address === null) exhausted(claim, book, sink);
    else out.set(claim, { address, ...skippedNote(book, from, book.state.next) });
  }
  return out;
}

function heldAddress(claim: AddressClaim, address: string, prefixLength: number, id: string): HeldAddress {
  const holder = claim.holder!;
  const spec: DesiredAddress = { kind: ADDRESS_KIND, interface: holder.interface, address, prefixLength, allocation: `${claim.pool}/${claim.name}` };
  const origin = { cluster: claim.cluster, step: 'addresses', module: '', location: claim.location };
  return { node: holder.node, entry: claim.entry, key: `${ADDRESS_KIND}:${addressIdentity(spec)}`, spec, awaits: id, origin };
}

/** `ip:<pool>/<name>` for every claim, and the address resources and facts of the nodes holding them. */
export function allocateClusterAddresses(spec: Spec, views: readonly NodeView[], observation: IpamObservation, sink: DiagnosticSink): AllocationResult {
  const claims = addressClaims(spec, views, sink);
  const books = new Map<string, PoolBook>();
  let context: AllocationContext | undefined;
  const bookOf = (pool: string): PoolBook => {
    let book = books.get(pool);
    context ??= { spec, nodeAddresses: Object.values(spec.nodes).flatMap((n) => parseAddress(n.doc.spec.address) ?? []), observation, sink };
    if (!book) books.set(pool, (book = openPool(pool, context)));
    return book;
  };
  const assigned = assignAddresses(claims, bookOf, observation, sink);
  const result: AllocationResult = { services: [], clusterAddresses: new Map(), perNode: new Map(), held: [] };
  for (const claim of claims) {
    const got = assigned.get(claim);
    if (!got) continue;
    const ip: DesiredIpAllocation = { kind: 'ip', pool: claim.pool, name: claim.name, address: got.address, ...(got.note ? { note: got.note } : {}) };
    const target = { name: claim.pool, type: 'pool' } as const;
    const key = ipKey(claim.pool, claim.name);
    result.services.push({ key, target, spec: ip, origin: { cluster: claim.cluster, step: 'addresses', module: '', location: claim.location } });
    const id = `${targetLabel(target)}/${key}`;
    const held = claim.holder ? heldAddress(claim, got.address, poolPrefixLength(bookOf(claim.pool).doc), id) : null;
    if (held) result.held.push(held);
    const read = { address: got.address, awaits: held ? resourceAddress(held.node, held.key) : id };
    const [map, by] = claim.perNode ? [result.perNode, claim.holder!.node] : [result.clusterAddresses, claim.cluster];
    map.set(by, { ...map.get(by), [claim.entry]: read });
  }
  return result;
}

