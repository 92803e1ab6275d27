/**
 * A cluster's effective rollout policy: its own `rollout` fields over the Site's over the defaults, field by
 * field. The defaults are the behaviour before these fields existed (one node at a time, by name, halt at
 * the first failure), so a site that sets none plans as it did.
 */
import type { RolloutPolicy as RolloutPolicyDoc } from './schema.js';
import { durationSeconds } from './duration.js';
import type { Quantity, RolloutPolicy } from '../model/rollout.js';

export type { Quantity, RolloutOrder, RolloutPolicy } from '../model/rollout.js';

export const DEFAULT_ROLLOUT_POLICY: RolloutPolicy = {
  maxUnavailable: 1,
  order: 'name',
  soakSeconds: 0,
  progressDeadlineSeconds: 600,
  failureBudget: 0,
  onFailure: 'halt',
  rollback: 'none',
};

/** A quantity of `total` members: a count as it is, a percentage rounded down; never below `atLeast`. */
export function quantityOf(quantity: Quantity, total: number, atLeast: number): number {
  const count = typeof quantity === 'number' ? quantity : Math.floor((total * Number(quantity.slice(0, -1))) / 100);
  return Math.max(atLeast, count);
}

/** One document's fields in the effective form; fields it does not set stay unset. */
function fieldsOf(doc: RolloutPolicyDoc): Partial<RolloutPolicy> {
  const out: Partial<RolloutPolicy> = {};
  const maxUnavailable = doc.maxUnavailable ?? doc.batchSize;
  if (maxUnavailable !== undefined) out.maxUnavailable = maxUnavailable as Quantity;
  if (doc.order !== undefined) out.order = doc.order;
  if (doc.canary !== undefined) out.canary = { nodes: doc.canary.nodes, soakSeconds: durationSeconds(doc.canary.soak) };
  if (doc.soak !== undefined) out.soakSeconds = durationSeconds(doc.soak);
  if (doc.progressDeadline !== undefined) out.progressDeadlineSeconds = durationSeconds(doc.progressDeadline);
  if (doc.failureBudget !== undefined) out.failureBudget = doc.failureBudget as Quantity;
  if (doc.onFailure !== undefined) out.onFailure = doc.onFailure;
  if (doc.rollback !== undefined) out.rollback = doc.rollback;
  return out;
}

export function effectiveRolloutPolicy(site: RolloutPolicyDoc, cluster: RolloutPolicyDoc): RolloutPolicy {
  return { ...DEFAULT_ROLLOUT_POLICY, ...fieldsOf(site), ...fieldsOf(cluster) };
}
