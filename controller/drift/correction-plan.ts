/**
 * A correction is an apply of part of the plan against the baseline: the changes of the resources to
 * correct, and the restarts and reloads they trigger, with their rollout batches made again from what is
 * left. So a disruptive correction goes through the cluster's batches and the breaker like any change, and
 * nothing the policy leaves alone (a reported, ignored or fighting resource) is touched.
 */
import type { Change } from '../model/change.js';
import type { Desired } from '../model/desired.js';
import type { Inventory } from '../model/observed.js';
import type { Plan } from '../model/plan.js';
import { planHash, summarise } from '../plan/make-plan.js';
import { planRollout } from '../plan/rollout.js';

/** `ids` and whatever restart or reload follows from them, to the end of such chains. */
function withTriggered(changes: readonly Change[], ids: ReadonlySet<string>): Set<string> {
  const kept = new Set([...ids].filter((id) => changes.some((c) => c.id === id)));
  let grew = true;
  while (grew) {
    grew = false;
    for (const c of changes) {
      if (kept.has(c.id) || (c.action !== 'restart' && c.action !== 'reload')) continue;
      if (c.dependsOn.some((d) => kept.has(d))) {
        kept.add(c.id);
        grew = true;
      }
    }
  }
  return kept;
}

/** `site`: the clusters, their members and the inventory, for the rollout of what is corrected (plan/rollout.ts). */
export function correctionPlan(plan: Plan, site: Pick<Desired, 'clusters' | 'nodes'> & { inventory: Inventory }, ids: ReadonlySet<string>): Plan {
  const kept = withTriggered(plan.changes, ids);
  const changes = plan.changes.filter((c) => kept.has(c.id)).map((c) => ({ ...c, dependsOn: c.dependsOn.filter((d) => kept.has(d)) }));
  const disrupted = new Set(changes.filter((c) => c.disruptive && c.target.type === 'node').map((c) => c.target.name));
  const body: Omit<Plan, 'hash'> = {
    apiVersion: plan.apiVersion,
    kind: 'Plan',
    revision: plan.revision,
    inventoryHash: plan.inventoryHash,
    nodeInventoryHashes: plan.nodeInventoryHashes,
    changes,
    rollout: planRollout(site, disrupted),
    summary: summarise(changes),
    ...(plan.warnings ? { warnings: plan.warnings } : {}),
    ...(plan.observation ? { observation: plan.observation } : {}),
  };
  return { ...body, hash: planHash(body) };
}
