/**
 * How apply keeps a node's managed record (`/var/lib/underlay/managed.json`) in step with what it does.
 * The record decides what underlay may ever prune, so its timing matters:
 * - before creating or updating a resource it is recorded, so a crash never leaves behind a resource
 *   underlay created but does not know it owns;
 * - after deleting one it is dropped (a crash before the delete leaves it recorded, so it is pruned again);
 * - a command is recorded only after it ran, so a crash before the run makes the next plan run it again.
 */
import type { ManagedUpdate } from '../../reconcilers/managed-record-format.js';
import type { ApplyContext } from '../../reconcilers/reconciler.js';
import type { Change } from '../plan/plan.js';

export interface ManagedRecordKeeper {
  update(ctx: ApplyContext, updates: readonly ManagedUpdate[]): Promise<void>;
}

/** The record update due before a change runs, if any. */
export function managedUpdateBefore(change: Change): ManagedUpdate | null {
  if (change.kind === 'command') return null;
  if ((change.action === 'create' || change.action === 'update') && change.desiredHash !== undefined) {
    return { key: change.key, hash: change.desiredHash };
  }
  return null;
}

/** The record update due after a change succeeded, if any. */
export function managedUpdateAfter(change: Change): ManagedUpdate | null {
  if (change.action === 'delete') return { key: change.key, hash: null };
  if (change.kind === 'command' && change.action === 'run' && change.desiredHash !== undefined) {
    return { key: change.key, hash: change.desiredHash };
  }
  return null;
}
