/**
 * What a controller's reconcile leaves to the drift policy (ADR 0028): the changes the plan marks as drift
 * (a resource moved away from the desired state underlay applied, with what only that triggers), taken out
 * of the plan it applies. The drift check then reports, corrects or ignores them, with its backoff and its
 * "fighting" rule, so `alert` and `ignore` mean the same in a reconcile as in the check. Pure.
 *
 * Two exceptions keep a drift change in the plan: another change of the plan waits for it (Git's work
 * needs it: a file in a directory removed by hand), and a triggered restart, reload or re-run goes when
 * anything it waits for goes.
 */
import type { Change } from '../model/change.js';
import type { Desired } from '../model/desired.js';
import type { Inventory } from '../model/observed.js';
import type { Plan } from '../model/plan.js';
import { isTriggered } from './node-changes.js';
import { planPart } from './plan-part.js';

export interface HeldDrift {
  /** The plan to apply: the whole plan when nothing is held. */
  plan: Plan;
  /** The drift changes left out, in plan order. */
  held: Change[];
}

function heldIds(changes: readonly Change[]): Set<string> {
  const held = new Set(changes.filter((c) => c.drift === true).map((c) => c.id));
  let released = held.size > 0;
  while (released) {
    released = false;
    for (const c of changes) {
      const kept = !held.has(c.id);
      if (kept) {
        for (const d of c.dependsOn) released = held.delete(d) || released;
      } else if (isTriggered(c) && c.dependsOn.some((d) => !held.has(d))) {
        held.delete(c.id);
        released = true;
      }
    }
  }
  return held;
}

export function holdDrift(plan: Plan, site: Pick<Desired, 'clusters' | 'nodes'> & { inventory: Inventory }): HeldDrift {
  const held = heldIds(plan.changes);
  if (held.size === 0) return { plan, held: [] };
  const kept = new Set(plan.changes.filter((c) => !held.has(c.id)).map((c) => c.id));
  return { plan: planPart(plan, site, kept), held: plan.changes.filter((c) => held.has(c.id)) };
}
