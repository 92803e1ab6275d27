/**
 * The second way to notice an address in use by something underlay does not manage: it answers ARP on
 * its network. Before an address is handed out, the node that is to hold it asks, on the interface it is
 * to go on (`arping -D`: duplicate address detection, sent from 0.0.0.0, so it needs no address there and
 * disturbs no cache), for every new allocation at once, each bounded to a few seconds. An answer becomes a
 * conflict in the pool's inventory, the allocation is resolved again (the next address), and that one is
 * asked about too, for a bounded number of rounds. Only IPv4 has ARP; an IPv6 candidate is not asked.
 */
import type { Desired, DesiredNode } from '../model/desired.js';
import type { Inventory } from '../model/observed.js';
import { parseAddress } from '../model/ip.js';
import { Limiter } from '../transport/concurrency.js';
import type { Transport } from '../transport/transport.js';
import { endpointOf } from './observe-site.js';

/** A new allocation and where it is to go up. */
export interface ArpCandidate {
  pool: string;
  node: string;
  interface: string;
  address: string;
}

/** Address resources of the desired state whose address is a new allocation (the ledger does not hold it yet). */
export function arpCandidates(desired: Desired, inventory: Inventory): ArpCandidate[] {
  const fresh = new Map<string, string>();
  for (const s of desired.services) {
    const spec = s.spec as { kind: string; pool?: string; name?: string; address?: string };
    if (spec.kind !== 'ip' || spec.address === undefined || spec.pool === undefined) continue;
    if (inventory.pools[spec.pool]?.allocations[spec.name ?? ''] === spec.address) continue;
    if (parseAddress(spec.address)?.family === 4) fresh.set(spec.address, spec.pool);
  }
  const out: ArpCandidate[] = [];
  for (const node of desired.nodes) {
    for (const r of node.resources) {
      const spec = r.spec as { kind: string; interface?: string; address?: string };
      const pool = spec.kind === 'address' && spec.address !== undefined ? fresh.get(spec.address) : undefined;
      if (pool !== undefined) out.push({ pool, node: node.name, interface: spec.interface!, address: spec.address! });
    }
  }
  return out;
}

/** Constant: each (interface, address) pair as arguments, asked in parallel; one line per pair: iface, address, exit, MAC. */
const ARPING_SCRIPT = `while [ $# -ge 2 ]; do
  ( out=$(arping -D -c 2 -w 3 -I "$1" "$2" 2>&1); rc=$?
    mac=$(printf '%s\\n' "$out" | sed -n 's/.*\\[\\([0-9A-Fa-f:]*\\)\\].*/\\1/p' | head -n 1)
    printf '%s\\t%s\\t%s\\t%s\\n' "$1" "$2" "$rc" "$mac" ) &
  shift 2
done
wait
`;

export interface ArpProbeOptions {
  transport: Transport;
  nodes: readonly DesiredNode[];
  concurrency: number;
  timeoutMs?: number;
}

/** Asks each candidate's node; returns pool -> address -> why, for the addresses that answered. */
export async function probeArp(candidates: readonly ArpCandidate[], options: ArpProbeOptions): Promise<Map<string, Map<string, string>>> {
  const byName = new Map(options.nodes.map((n) => [n.name, n]));
  const perNode = new Map<string, ArpCandidate[]>();
  for (const c of candidates) perNode.set(c.node, [...(perNode.get(c.node) ?? []), c]);
  const limiter = new Limiter(options.concurrency);
  const found = new Map<string, Map<string, string>>();
  await Promise.all(
    [...perNode].map(([name, asks]) =>
      limiter.run(async () => {
        const node = byName.get(name);
        if (!node) return;
        const argv = ['sh', '-c', ARPING_SCRIPT, 'underlay', ...asks.flatMap((a) => [a.interface, a.address])];
        // A node that cannot be asked (unreachable, no arping) gives no answer: observe reports the node itself.
        const result = await options.transport.exec(endpointOf(node, byName), argv, { timeoutMs: options.timeoutMs ?? 20_000 }).catch(() => null);
        for (const line of result?.stdout.toString('utf8').split('\n') ?? []) {
          const [iface, address, rc, mac] = line.split('\t');
          const ask = asks.find((a) => a.interface === iface && a.address === address);
          if (!ask || rc !== '1') continue;
          const pool = found.get(ask.pool) ?? new Map<string, string>();
          pool.set(ask.address, `answers ARP from node ${name} on ${ask.interface}${mac ? ` (${mac.toLowerCase()})` : ''}`);
          found.set(ask.pool, pool);
        }
      }),
    ),
  );
  return found;
}

/** The inventory with these conflicts added to its pools' (a new object; pools not named are shared). */
export function withConflicts(inventory: Inventory, found: ReadonlyMap<string, ReadonlyMap<string, string>>): Inventory {
  const pools = { ...inventory.pools };
  for (const [pool, addresses] of found) {
    const before = pools[pool] ?? { allocations: {} };
    pools[pool] = { ...before, conflicts: { ...before.conflicts, ...Object.fromEntries(addresses) } };
  }
  return { ...inventory, pools };
}

/** Rounds of asking: each answer moves its claim to the next address, which is asked about in the next round. */
const MAX_ROUNDS = 4;

/**
 * The inventory with every ARP conflict of the new allocations `resolve` makes from it: resolved again after
 * each round that found one, until a round finds none (or after MAX_ROUNDS; the plan's next run goes on).
 */
export async function observeArpConflicts(inventory: Inventory, resolve: (inventory: Inventory) => Desired | null, options: Omit<ArpProbeOptions, 'nodes'>): Promise<Inventory> {
  let current = inventory;
  const asked = new Set<string>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const desired = resolve(current);
    if (!desired) return current;
    const candidates = arpCandidates(desired, current).filter((c) => !asked.has(`${c.node}/${c.interface}/${c.address}`));
    if (candidates.length === 0) return current;
    for (const c of candidates) asked.add(`${c.node}/${c.interface}/${c.address}`);
    const found = await probeArp(candidates, { ...options, nodes: desired.nodes });
    if (found.size === 0) return current;
    current = withConflicts(current, found);
  }
  return current;
}
