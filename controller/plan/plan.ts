/**
 * The plan: a plain, serialisable value saying exactly what will change, where, and why. Apply takes only
 * a plan. The same Desired and Inventory always give a byte-identical plan (and hash).
 */
import type { ResourceKind } from '../resolve/desired.js';
import type { RevisionInfo } from '../spec/spec.js';

export const PLAN_API_VERSION = 'underlay.dev/v1alpha1';

/** `run` is a guarded command that will execute; `restart` a service restarted because something it uses changed. */
export type Action = 'create' | 'update' | 'delete' | 'restart' | 'run';

export interface Change {
  /** `<node or target>/<resource key>`, unique in the plan; `#restart` suffix for restarts. */
  id: string;
  /** Node name, or a service target ('pool:<name>', 'zone:<name>'). */
  node: string;
  kind: ResourceKind;
  /** Resource key, e.g. 'file:/etc/haproxy/haproxy.cfg'. */
  key: string;
  action: Action;
  /** Observed attributes (null when the resource does not exist). */
  before: Record<string, unknown> | null;
  /** Desired attributes (null for delete). Files carry their full content: apply needs nothing but the plan. */
  after: Record<string, unknown> | null;
  /**
   * resourceHash of the desired spec: what apply records in the node's managed list once the change is done.
   * Absent for deletes (the key is dropped) and for restarts (the recorded hash stays).
   */
  desiredHash?: string;
  /** Human explanation: what differs, or which dependency triggered a restart. */
  reason: string;
  /** Ids of changes that must complete first. */
  dependsOn: string[];
  /** Disruptive changes go through rollout batches and the circuit breaker. */
  disruptive: boolean;
  /** Cluster and step that own the resource (absent for prunes of resources no longer in Git). */
  cluster?: string;
  step?: string;
}

export interface RolloutBatches {
  cluster: string;
  /** Nodes with changes, grouped into batches of the cluster's batchSize, in name order. */
  batches: string[][];
  failureBudget: number;
}

export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
  restart: number;
  run: number;
}

export interface Plan {
  apiVersion: typeof PLAN_API_VERSION;
  kind: 'Plan';
  revision: RevisionInfo;
  /** Hash of the inventory planned against, so apply can refuse a plan when the nodes moved on. */
  inventoryHash: string;
  /** Node -> hash of that node's part of the inventory, for the per-node staleness check. */
  nodeInventoryHashes: Record<string, string>;
  /** Sorted by id. */
  changes: Change[];
  rollout: RolloutBatches[];
  summary: PlanSummary;
  /** Things a reader must know that are not changes, e.g. nodes skipped because they were unreachable. Sorted. */
  warnings?: string[];
  /**
   * 'none': nothing was observed (no inventory, no SSH identity), so every resource was assumed missing and
   * the plan says so in a banner. Absent when the nodes were observed: a plan made live and one made from a
   * snapshot of the same state are the same plan, with the same hash.
   */
  observation?: 'none';
  /**
   * sha256 of the canonical JSON of everything above, except that a file change's `after.content` is left
   * out: its `after.sha256` (part of the input) stands for it, so hashing does not serialise all file content
   * again. Apply of a saved plan checks each file's content against that sha256 as well as this hash.
   */
  hash: string;
}
