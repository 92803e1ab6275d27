/**
 * How apply keeps a node's managed record (`/var/lib/underlay/managed.json`) in step with what it does.
 * The record decides what underlay may ever prune, so its timing matters:
 * - before creating or updating a resource it is recorded, so a crash never leaves behind a resource
 *   underlay created but does not know it owns;
 * - after deleting one it is dropped (a crash before the delete leaves it recorded, so it is pruned again);
 * - a command is recorded only after it ran, so a crash before the run makes the next plan run it again,
 *   or adopt the run it left on the node; the same update retires that run's marker (ADR 0006);
 * - a restart or re-run that other changes owe (see `owesRestart`) is flagged `restartPending` before the
 *   first of those changes touches the node, and cleared only after it succeeded: otherwise a crash between
 *   "config written" and "service restarted" leaves a node whose re-plan sees nothing to do, with the
 *   service running the old config for good.
 * Which of these a change is due is its kind's business (the `ownership` facet; the common rules are in
 * reconcilers/ownership.ts): this is where apply asks.
 */
import type { ManagedUpdate } from '../../reconcilers/managed-record-format.js';
import type { NodeApplyContext } from '../../reconcilers/kind-effects.js';
import type { KindRegistry } from '../../reconcilers/registry.js';
import type { Change } from '../model/change.js';

export interface ManagedRecordKeeper {
  update(ctx: NodeApplyContext, updates: readonly ManagedUpdate[]): Promise<void>;
}

/** When each update is due is the kind's (its ownership facet); a kind that has none (services' targets) keeps no node record. */
const ownershipOf = (registry: KindRegistry, change: Change) => registry.nodeKind(change.kind)?.ownership;

/** The record update due before a change runs, if any. */
export function managedUpdateBefore(registry: KindRegistry, change: Change): ManagedUpdate | null {
  return ownershipOf(registry, change)?.before(change) ?? null;
}

/** The record update due after a change succeeded, if any. */
export function managedUpdateAfter(registry: KindRegistry, change: Change): ManagedUpdate | null {
  return ownershipOf(registry, change)?.after(change) ?? null;
}

/**
 * Whether a change is a restart or re-run that, once the changes it depends on have started touching the
 * node, only the node's record can remember: the re-plan after a crash sees those changes done and would
 * not derive it again.
 */
export function owesRestart(registry: KindRegistry, change: Change): boolean {
  return ownershipOf(registry, change)?.owes?.(change) ?? false;
}

/** The record update that flags an owed restart or re-run before its prerequisites run. */
export function restartPendingMark(registry: KindRegistry, change: Change): ManagedUpdate {
  return ownershipOf(registry, change)?.pendingMark?.(change) ?? { key: change.key, hash: undefined, restartPending: true };
}
