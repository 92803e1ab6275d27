/**
 * The blast radius of a plan's rollout, per cluster: how many members its disruptive changes take down,
 * in how many batches, and the largest share of the cluster down at once. Read from the batches the plan
 * already carries (controller/plan/rollout.ts), so it says what apply will do. Pure.
 */
import type { RolloutBatches } from '../model/plan.js';
import { canonicalJson } from '../model/canonical-json.js';

export interface BlastRadius {
  cluster: string;
  /** Members of the cluster in the head. */
  members: number;
  /** Members with disruptive changes: those the rollout takes down, batch by batch. */
  disrupted: number;
  batches: number;
  /** The most members down at once (the largest batch). */
  atOnce: number;
  /** atOnce as a share of members, in whole percent (rounded). */
  percentAtOnce: number;
  failureBudget: number;
  /** Whether the pull request made this rollout: the base rolls this cluster out otherwise, or not at all. */
  changedByPullRequest: boolean;
}

export function blastRadius(head: readonly RolloutBatches[], base: readonly RolloutBatches[], clusterSizes: Record<string, number>): BlastRadius[] {
  const baseByCluster = new Map(base.map((r) => [r.cluster, r]));
  return head.map((r) => {
    const disrupted = r.batches.reduce((n, b) => n + b.length, 0);
    const members = Math.max(clusterSizes[r.cluster] ?? disrupted, disrupted);
    const atOnce = r.batches.reduce((n, b) => Math.max(n, b.length), 0);
    const was = baseByCluster.get(r.cluster);
    return {
      cluster: r.cluster,
      members,
      disrupted,
      batches: r.batches.length,
      atOnce,
      percentAtOnce: members === 0 ? 0 : Math.round((atOnce * 100) / members),
      failureBudget: r.failureBudget,
      changedByPullRequest: !was || canonicalJson(was) !== canonicalJson(r),
    };
  });
}
