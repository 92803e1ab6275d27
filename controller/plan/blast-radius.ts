/**
 * The blast radius of a plan's rollout, per cluster: how many members its disruptive changes take down,
 * in how many batches, and the largest share of the cluster down at once (counting the members already
 * down). Read from the rollout intents the plan carries (controller/plan/rollout.ts), so it says what apply
 * will do. Pure.
 */
import { canonicalJson } from '../model/canonical-json.js';
import type { RolloutIntents } from '../model/rollout.js';
import { blastRadius as batchBlastRadius } from './render-rollout.js';

export interface BlastRadius {
  cluster: string;
  /** Members of the cluster. */
  members: number;
  /** Members with disruptive changes that the batches take down. */
  disrupted: number;
  batches: number;
  /** The most members down at once in any batch, counting those already down. */
  atOnce: number;
  /** That batch's share, as the rollout shows it ("4 of 40 (10%)"). */
  atOnceShare: string;
  /** Disrupted members no batch may take down (maxUnavailable used up by members already down). */
  held: number;
  failureBudget: number;
  /** Whether the pull request made this rollout: the base rolls this cluster out otherwise, or not at all. */
  changedByPullRequest: boolean;
}

function radius(r: RolloutIntents, changed: boolean): BlastRadius {
  const widest = r.batches.reduce<RolloutIntents['batches'][number] | undefined>((w, b) => (!w || b.downAtOnce > w.downAtOnce ? b : w), undefined);
  return {
    cluster: r.cluster,
    members: r.members,
    disrupted: r.batches.reduce((n, b) => n + b.nodes.length, 0),
    batches: r.batches.length,
    atOnce: widest?.downAtOnce ?? r.unavailable.length,
    atOnceShare: widest ? batchBlastRadius(r, widest) : `${r.unavailable.length} of ${r.members}`,
    held: r.held.length,
    failureBudget: r.failureBudget,
    changedByPullRequest: changed,
  };
}

export function blastRadius(head: readonly RolloutIntents[], base: readonly RolloutIntents[]): BlastRadius[] {
  const baseByCluster = new Map(base.map((r) => [r.cluster, r]));
  return head.map((r) => {
    const was = baseByCluster.get(r.cluster);
    return radius(r, !was || canonicalJson(was) !== canonicalJson(r));
  });
}
