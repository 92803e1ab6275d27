/**
 * A part of a plan, as a plan of its own: the chosen changes and the restarts and reloads they trigger, with
 * edges to what is left out dropped, and the rollout batches made again from what is left. A drift
 * correction applies the part of the plan against the baseline that corrects; a controller's reconcile, the
 * part that is not drift (ADR 0028). Either way a disruptive change still goes through the cluster's batches
 * and the breaker, and nothing left out is touched.
 */
import type { Change } from '../model/change.js';
import type { Desired } from '../model/desired.js';
import type { Inventory } from '../model/observed.js';
import type { Plan } from '../model/plan.js';
import { planHash, summarise } from './make-plan.js';
import { planRollout } from './rollout.js';

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

/** `site`: the clusters, their members and the inventory, for the rollout of what is kept (rollout.ts). */
export function planPart(plan: Plan, site: Pick<Desired, 'clusters' | 'nodes'> & { inventory: Inventory }, ids: ReadonlySet<string>): Plan {
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
