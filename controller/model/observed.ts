/**
 * The observed state of a site, as a versioned snapshot keyed by target: what a probe found on each node,
 * what each IP pool's ledger holds, and which records of each DNS zone underlay owns. These are its types; the schema a snapshot is checked against is assembled from the
 * kind registry (controller/inventory/inventory.ts), since what is observed of a resource is its kind's business.
 */

/** v1alpha2: keyed by target (nodes, pools, zones); v1alpha1 snapshots (`services`) are still read (controller/inventory/). */
export const INVENTORY_API_VERSION = 'underlay.dev/v1alpha2';

/** What the probe found of one resource; its other fields are its kind's (reconcilers/<kind>/). */
export interface ObservedResource {
  kind: string;
  [field: string]: unknown;
}

/** Why a node's managed record itself was not used: restored from the previous copy, or neither copy usable. */
export interface ManagedRecordProblem {
  code: 'ManagedRecordRestored' | 'ManagedRecordCorrupt';
  message: string;
}

export interface InventoryNode {
  reachable: boolean;
  /** Why the node could not be observed (when unreachable). */
  error?: string | undefined;
  /** The code of that error (model/errors.ts), e.g. Unreachable or HostKeyMismatch; absent in older snapshots. */
  errorCode?: string | undefined;
  facts: Record<string, unknown>;
  /**
   * What underlay manages on the node, from the node's own record (`/var/lib/underlay/managed.json`):
   * resource key -> hash of the desired spec last applied. Only these are ever pruned. `restartPending`:
   * a run changed (or was about to change) what this service or command depends on and died before the
   * restart or re-run that change owes; the planner plans it. `applyPending`: the hash was recorded before a
   * write not yet seen to succeed, so a difference there is unfinished work, not drift.
   */
  managed: Record<string, { hash: string; restartPending?: true | undefined; applyPending?: true | undefined }>;
  /**
   * Set when the record itself could not be used: `ManagedRecordRestored`, `managed` is its previous copy
   * (apply writes it back first); `ManagedRecordCorrupt`, neither copy was usable and nothing is planned for
   * the node. The message says what is wrong and what to do.
   */
  managedRecordProblem?: ManagedRecordProblem | undefined;
  /**
   * Whom the managed record names as its owner (ADR 0008): the site id and node name that last wrote it, or
   * `none` for a record written before records named their owner (adopted by the next apply). Absent when the
   * node has no usable record.
   */
  owner?: { site: string; node: string } | 'none' | undefined;
  /** Observed state of every managed or desired resource, by resource key. */
  resources: Record<string, ObservedResource>;
}

/** An IP pool, from its ledger: what underlay allocated there and has not released. */
export interface InventoryPool {
  /** Allocation name ('<cluster>.<address name>', '<cluster>.<address name>.<node>') -> address. */
  allocations: Record<string, string>;
  /**
   * Allocation name -> the address it last held and when it was released (not live again since): held,
   * not handed to another name, until the pool's `releaseAfter` has passed.
   */
  released?: Record<string, { address: string; releasedAt: string }> | undefined;
  /** Address -> why it is in use by something underlay does not manage (an ARP answer observe got). */
  conflicts?: Record<string, string> | undefined;
}

/** A DNS zone: the records its ownership records say this site wrote (only those are ever changed or pruned). */
export interface InventoryZone {
  /** '<owner name>/<type>' -> value. */
  records: Record<string, string>;
  /** Of `records`, those whose value is no longer the one underlay wrote (its ownership record says which it wrote). */
  editedOutside?: string[] | undefined;
  /**
   * Of the records this site owns whose value is not the one it wrote (`editedOutside`) or that are gone while
   * their ownership record is not: the mark of the value it wrote ('<owner name>/<type>' -> recordValueMark),
   * so the planner tells a hand edit (Git wants what was written: drift) from Git's change.
   */
  writtenMarks?: Record<string, string> | undefined;
  /**
   * Records at a name and type Git wants that this site does not own, with whose they are ('site other',
   * 'not managed by underlay'): never changed or deleted, shown as conflicts.
   */
  heldElsewhere?: Record<string, string> | undefined;
  /**
   * Set when the zone could not be read (server down, REFUSED, a bad key): nothing is planned in it, since an
   * unread zone is no empty zone (external-dns re-created or silently kept everything after a failed read).
   */
  unreadable?: { code: string; message: string } | undefined;
  /**
   * Set instead of `unreadable` when the zone is served by a node of the site that does not run the serving
   * resource yet (BIND not installed: an apply from empty nodes, a redeploy): no server, so nothing of this
   * site's is in it, and it is planned as empty, each create requiring its name to be free. Says why.
   */
  notServed?: string | undefined;
}

/** What the service targets hold: what a service kind diffs against (reconcilers/<kind>/kind.ts `observed`). */
export interface ServiceInventory {
  pools: Record<string, InventoryPool>;
  zones: Record<string, InventoryZone>;
}

export interface Inventory {
  apiVersion: typeof INVENTORY_API_VERSION;
  kind: 'Inventory';
  /** ISO time of the observation; informational, excluded from plan hashes. */
  observedAt?: string | undefined;
  nodes: Record<string, InventoryNode>;
  pools: Record<string, InventoryPool>;
  zones: Record<string, InventoryZone>;
}

/** The inventory of a site nobody has touched yet: what `plan` uses without `--inventory`. */
export function emptyInventory(): Inventory {
  return { apiVersion: INVENTORY_API_VERSION, kind: 'Inventory', nodes: {}, pools: {}, zones: {} };
}

/** Every pool's allocations as 'pool/name' -> address: what resolve keeps addresses from. */
export function knownAllocations(inventory: Pick<Inventory, 'pools'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [pool, { allocations }] of Object.entries(inventory.pools)) for (const [name, address] of Object.entries(allocations)) out[`${pool}/${name}`] = address;
  return out;
}
