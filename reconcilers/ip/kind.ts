/**
 * The ip kind: an address allocated from an IPPool for a cluster (`cluster.addresses`), kept in the pool's
 * ledger. Resolve allocates it (controller/resolve/ip-allocation.ts); the plan carries it so that a new
 * address flows into the same run. Everything in the ledger was written by underlay, so it is pruned.
 */
import type { Change } from '../../controller/model/change.js';
import { knownAllocations } from '../../controller/model/observed.js';
import { keyIdentity } from '../../controller/model/resource-key.js';
import { NO_DETAILS, str } from '../details-support.js';
import type { ServiceKind } from '../kind.js';

export interface DesiredIpAllocation {
  kind: 'ip';
  pool: string;
  /** Allocation name: `<cluster>.<address name>`. */
  name: string;
  /** The address: kept from the inventory when already allocated, else the lowest free one of the pool. */
  address: string;
  /** Why a new allocation gets this address and not the lowest free one (it held it before, re-adopted). */
  note?: string;
}

const allocated = (c: Change): string | undefined => (c.action !== 'delete' && c.after ? String(c.after.address) : undefined);

export const ipKind: ServiceKind<DesiredIpAllocation> = {
  kind: 'ip',
  target: 'pool',
  // The ledger is keyed by pool, then name; the resource key is 'ip:pool/name'.
  observed: (services) => Object.fromEntries(Object.entries(knownAllocations(services)).map(([poolAndName, address]) => [`ip:${poolAndName}`, address])),
  targetOf: (key) => {
    const poolAndName = keyIdentity(key);
    return { name: poolAndName.slice(0, poolAndName.indexOf('/')), type: 'pool' };
  },
  diff({ desired, observed }) {
    // Released, not free: the pool holds it for its releaseAfter (controller/resolve/ip-allocation.ts).
    if (desired === null) return { action: 'delete', reason: `no longer in Git: release ${observed} (held for the pool's releaseAfter before anyone else gets it)`, before: { address: observed }, after: null };
    if (observed === desired.address) return null;
    const after = { ...desired } as Record<string, unknown>;
    if (observed === undefined) return { action: 'create', reason: `allocate ${desired.address} from pool ${desired.pool}${desired.note ? ` (${desired.note})` : ''}`, before: null, after };
    return { action: 'update', reason: `address ${observed} -> ${desired.address}`, before: { address: observed }, after };
  },
  details: (c) => (c.after ? { attributes: [`${str(c.after.name)} = ${str(c.after.address)} (pool ${str(c.after.pool)})`], content: [] } : NO_DETAILS),
  order: { rank: 0, provides: allocated },
};
