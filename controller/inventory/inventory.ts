/**
 * The schema an inventory snapshot is checked against: saved as JSON so a pull request can be planned in
 * CI without access to the nodes, and input like any other (a hand-edited or outdated one must give a clear
 * error rather than a wrong plan). What is observed of a resource is its kind's: the schema is assembled
 * from the registry. The types are controller/model/observed.ts. A v1alpha1 snapshot (service state under
 * `services`) is read too, and converted (SnapshotSchema).
 */
import { z } from 'zod';
import { INVENTORY_API_VERSION, type Inventory } from '../model/observed.js';
import { registry } from '../../reconcilers/registry.js';

/** One observed resource: the kinds' own schemas, told apart by `kind`. */
const [first, ...rest] = registry.nodeKinds.map((k) => k.observedSchema);
if (!first) throw new Error('no node kinds are registered');
const ObservedResourceSchema = z.discriminatedUnion('kind', [first, ...rest]);

export const InventoryNodeSchema = z.strictObject({
  reachable: z.boolean(),
  /** Why the node could not be observed (when unreachable). */
  error: z.string().optional(),
  /** The code of that error (model/errors.ts), e.g. Unreachable or HostKeyMismatch; absent in older snapshots. */
  errorCode: z.string().optional(),
  facts: z.record(z.string(), z.json()).default({}),
  /**
   * What underlay manages on the node, from the node's own record (`/var/lib/underlay/managed.json`):
   * resource key -> hash of the desired spec last applied. Only these are ever pruned. `restartPending`:
   * a run changed (or was about to change) what this service or command depends on and died before the
   * restart or re-run that change owes; the planner plans it. `applyPending`: the hash was recorded before a
   * write not yet seen to succeed, so a difference there is unfinished work, not drift.
   */
  managed: z.record(z.string(), z.strictObject({ hash: z.string(), restartPending: z.literal(true).optional(), applyPending: z.literal(true).optional() })).default({}),
  /**
   * Set when the record itself could not be used: `ManagedRecordRestored`, `managed` is its previous copy
   * (apply writes it back first); `ManagedRecordCorrupt`, neither copy was usable and nothing is planned for
   * the node. The message says what is wrong and what to do.
   */
  managedRecordProblem: z.strictObject({ code: z.enum(['ManagedRecordRestored', 'ManagedRecordCorrupt']), message: z.string() }).optional(),
  /**
   * Whom the managed record names as its owner (ADR 0008): the site id and node name that last wrote it, or
   * `none` for a record written before records named their owner (adopted by the next apply). Absent when the
   * node has no usable record.
   */
  owner: z.union([z.strictObject({ site: z.string(), node: z.string() }), z.literal('none')]).optional(),
  /** Observed state of every managed or desired resource, by resource key. */
  resources: z.record(z.string(), ObservedResourceSchema).default({}),
});

const names = z.record(z.string(), z.string()).default({});

/** The current format, keyed by target. */
export const InventorySchema = z.strictObject({
  apiVersion: z.literal(INVENTORY_API_VERSION),
  kind: z.literal('Inventory'),
  /** ISO time of the observation; informational, excluded from plan hashes. */
  observedAt: z.string().optional(),
  nodes: z.record(z.string(), InventoryNodeSchema).default({}),
  /** Pool -> its ledger's allocations (name -> address), its released ones and the conflicts observe found. */
  pools: z
    .record(
      z.string(),
      z.strictObject({
        allocations: names,
        released: z.record(z.string(), z.strictObject({ address: z.string(), releasedAt: z.string() })).optional(),
        conflicts: z.record(z.string(), z.string()).optional(),
      }),
    )
    .default({}),
  /** Zone -> the records underlay owns there ('<name>/<type>' -> value). */
  zones: z
    .record(
      z.string(),
      z.strictObject({
        records: names,
        editedOutside: z.array(z.string()).optional(),
        writtenMarks: z.record(z.string(), z.string()).optional(),
        heldElsewhere: z.record(z.string(), z.string()).optional(),
        unreadable: z.strictObject({ code: z.string(), message: z.string() }).optional(),
        notServed: z.string().optional(),
      }),
    )
    .default({}),
});

/** v1alpha1: the nodes as today, the services' state in one `services` object. */
const InventoryV1Alpha1Schema = z.strictObject({
  apiVersion: z.literal('underlay.dev/v1alpha1'),
  kind: z.literal('Inventory'),
  observedAt: z.string().optional(),
  nodes: z.record(z.string(), InventoryNodeSchema).default({}),
  services: z
    .strictObject({
      /** 'pool/name' -> address. */
      allocations: names,
      /** DNS record key ('dns:zone/name/type') -> value. */
      dnsRecords: names,
    })
    .default({ allocations: {}, dnsRecords: {} }),
});

/** 'pool/name' or 'dns:zone/name/type' split at the first '/' after the prefix: the target, then the rest. */
function byTarget<T>(entries: Record<string, string>, prefix: string, make: (inner: Record<string, string>) => T): Record<string, T> {
  const inner: Record<string, Record<string, string>> = {};
  for (const [key, value] of Object.entries(entries)) {
    const rest = key.slice(prefix.length);
    const slash = rest.indexOf('/');
    const target = rest.slice(0, slash);
    (inner[target] ??= {})[rest.slice(slash + 1)] = value;
  }
  return Object.fromEntries(Object.entries(inner).map(([target, values]) => [target, make(values)]));
}

/** A v1alpha1 snapshot as v1alpha2: the allocations under their pools, the records under their zones. */
function fromV1Alpha1(old: z.output<typeof InventoryV1Alpha1Schema>): Inventory {
  const { services, observedAt, nodes, kind } = old;
  return {
    apiVersion: INVENTORY_API_VERSION,
    kind,
    ...(observedAt === undefined ? {} : { observedAt }),
    nodes,
    pools: byTarget(services.allocations, '', (allocations) => ({ allocations })),
    zones: byTarget(services.dnsRecords, 'dns:', (records) => ({ records })),
  };
}

/** Any snapshot this version reads, told apart by apiVersion, as the current format. */
export const SnapshotSchema = z.discriminatedUnion('apiVersion', [InventorySchema, InventoryV1Alpha1Schema]).transform((snapshot): Inventory =>
  snapshot.apiVersion === INVENTORY_API_VERSION ? snapshot : fromV1Alpha1(snapshot),
);
