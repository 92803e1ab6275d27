/**
 * The observed state of a site, as a versioned snapshot: what a probe found on each node and in the
 * services. Saved as JSON so a pull request can be planned in CI without access to the nodes.
 */
import { z } from 'zod';

export const INVENTORY_API_VERSION = 'underlay.dev/v1alpha1';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const ObservedFile = z.strictObject({
  kind: z.literal('file'),
  path: z.string(),
  exists: z.boolean(),
  sha256: Sha256.optional(),
  size: z.number().int().optional(),
  mode: z.string().optional(),
  owner: z.string().optional(),
  group: z.string().optional(),
  /** The file's text, when the probe chose to read it (small text files): lets a plan show a real diff. */
  content: z.string().optional(),
});

export const ObservedDirectory = z.strictObject({
  kind: z.literal('directory'),
  path: z.string(),
  exists: z.boolean(),
  mode: z.string().optional(),
  owner: z.string().optional(),
  group: z.string().optional(),
});

export const ObservedService = z.strictObject({
  kind: z.literal('service'),
  name: z.string(),
  exists: z.boolean(),
  /** sha256 of the rendered definition (runit run script or systemd unit) found on the node. */
  definitionHash: Sha256.optional(),
  running: z.boolean(),
  enabled: z.boolean(),
  pid: z.number().int().optional(),
});

export const ObservedCommand = z.strictObject({
  kind: z.literal('command'),
  name: z.string(),
  /** Whether the `creates` path exists. */
  createsExists: z.boolean().optional(),
  /** Exit code of the `unless` guard. */
  unlessExitCode: z.number().int().optional(),
  /**
   * A run of the command that underlay started and no apply has recorded yet (its marker on the node, ADR
   * 0005): still running, finished, or lost (the node rebooted under it, or it died without an exit status).
   */
  run: z
    .strictObject({
      exitCode: z.number().int().optional(),
      /** resourceHash of the definition the run executes. */
      hash: z.string().optional(),
      lost: z.enum(['rebooted', 'died', 'unreadable']).optional(),
      runId: z.string().optional(),
      startedAt: z.string().optional(),
      state: z.enum(['running', 'finished', 'lost']),
    })
    .optional(),
});

export const ObservedCertificate = z.strictObject({
  kind: z.literal('certificate'),
  name: z.string(),
  exists: z.boolean(),
  notAfter: z.string().optional(),
  /** sha256 of the DER certificate. */
  fingerprint: Sha256.optional(),
  /** Hash of the subject/SAN request it was issued for, recorded at issue time. */
  requestHash: Sha256.optional(),
});

export const ObservedResource = z.discriminatedUnion('kind', [
  ObservedFile,
  ObservedDirectory,
  ObservedService,
  ObservedCommand,
  ObservedCertificate,
]);

export const InventoryNode = z.strictObject({
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
   * restart or re-run that change owes; the planner plans it.
   */
  managed: z.record(z.string(), z.strictObject({ hash: z.string(), restartPending: z.literal(true).optional() })).default({}),
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
  resources: z.record(z.string(), ObservedResource).default({}),
});

export const Inventory = z.strictObject({
  apiVersion: z.literal(INVENTORY_API_VERSION),
  kind: z.literal('Inventory'),
  /** ISO time of the observation; informational, excluded from plan hashes. */
  observedAt: z.string().optional(),
  nodes: z.record(z.string(), InventoryNode).default({}),
  services: z
    .strictObject({
      /** 'pool/name' -> address. */
      allocations: z.record(z.string(), z.string()).default({}),
      /** DNS record key ('dns:zone/name/type') -> value. */
      dnsRecords: z.record(z.string(), z.string()).default({}),
    })
    .default({ allocations: {}, dnsRecords: {} }),
});

export type ObservedFile = z.infer<typeof ObservedFile>;
export type ObservedDirectory = z.infer<typeof ObservedDirectory>;
export type ObservedService = z.infer<typeof ObservedService>;
export type ObservedCommand = z.infer<typeof ObservedCommand>;
export type ObservedCertificate = z.infer<typeof ObservedCertificate>;
export type ObservedResource = z.infer<typeof ObservedResource>;
export type InventoryNode = z.infer<typeof InventoryNode>;
export type Inventory = z.infer<typeof Inventory>;

/** The inventory of a site nobody has touched yet: what `plan` uses without `--inventory`. */
export function emptyInventory(): Inventory {
  return { apiVersion: INVENTORY_API_VERSION, kind: 'Inventory', nodes: {}, services: { allocations: {}, dnsRecords: {} } };
}
