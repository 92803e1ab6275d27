/**
 * The plan: a plain, serialisable value saying exactly what will change, where, and why. Apply takes only
 * a plan. The same Desired and Inventory always give a byte-identical plan (and hash).
 */
import type { Change } from './change.js';
import type { RevisionInfo } from './revision.js';
import type { RolloutIntents } from './rollout.js';

/** v1alpha2: a change names its target as `{type, name}` (v1alpha1 had a `node` string). */
export const PLAN_API_VERSION = 'underlay.dev/v1alpha2';

/**
 * Why a saved value cannot be read as a plan of this version, or null when it can. A v1alpha1 plan is refused
 * rather than converted: a saved plan is applied within minutes of being made, so planning again is cheap,
 * and a plan whose meaning apply had to reconstruct would no longer be the plan that was reviewed.
 */
export function planFormatProblem(value: unknown): string | null {
  const { apiVersion, kind } = (typeof value === 'object' && value !== null ? value : {}) as { apiVersion?: unknown; kind?: unknown };
  if (kind !== 'Plan') return 'is not a plan';
  if (apiVersion === PLAN_API_VERSION) return rolloutFormatProblem((value as { rollout?: unknown }).rollout);
  return `is a plan of format ${String(apiVersion)}, which this version of underlay no longer reads (its changes name a target since ${PLAN_API_VERSION}): plan again`;
}


/** A plan made before it carried rollout intents had batches as lists of names: apply would misread them. */
function rolloutFormatProblem(rollout: unknown): string | null {
  if (!Array.isArray(rollout)) return null;
  const old = rollout.some((r: { batches?: unknown[] }) => Array.isArray(r?.batches) && r.batches.some((b) => Array.isArray(b)));
  return old ? 'has rollout batches as lists of nodes, from before plans carried rollout intents (ADR 0019): plan again' : null;
}

export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
  restart: number;
  /**
   * Present only when the plan reloads something: a plan without reloads keeps the JSON (and so the hash) it
   * had before services could reload, which saved plans and reviewed goldens rely on.
   */
  reload?: number;
  run: number;
}

/** Where a decommissioned node stands (controller/plan/decommission.ts). */
export interface DecommissionReport {
  node: string;
  /** The clusters it leaves. */
  leaving: string[];
  /** Its changes in this plan: what is left to dismantle. */
  remainingChanges: number;
  /** It was observed and nothing is left: its Node document can be deleted. */
  deletable: boolean;
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
  /** Per cluster with disruptive changes, by cluster name: its batches, order, gates and budget (ADR 0019). */
  rollout: RolloutIntents[];
  summary: PlanSummary;
  /** Things a reader must know that are not changes, e.g. nodes skipped because they were unreachable. Sorted. */
  warnings?: string[];
  /**
   * 'none': nothing was observed (no inventory, no SSH identity), so every resource was assumed missing and
   * the plan says so in a banner. Absent when the nodes were observed: a plan made live and one made from a
   * snapshot of the same state are the same plan, with the same hash.
   */
  observation?: 'none';
  /** The decommissioned nodes, sorted by name; absent when there are none. */
  decommissioned?: DecommissionReport[];
  /**
   * sha256 of the canonical JSON of everything above, except that a change's `after.content` (a file's, or
   * its `after.contentBase64`) is left out when its `after.sha256` (part of the input) stands for it, so
   * hashing does not serialise all file content again. Apply of a saved plan checks that content against
   * its sha256 as well as this hash.
   */
  hash: string;
}
