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
 */
import type { ManagedUpdate } from '../../reconcilers/managed-record-format.js';
import type { ApplyContext } from '../../reconcilers/kind-effects.js';
import type { Change } from '../model/change.js';

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
  if (change.kind === 'command' && change.action === 'run') {
    return { key: change.key, hash: change.desiredHash, restartPending: false, retireRun: true };
  }
  if (change.kind === 'service' && (change.action === 'restart' || freshlyStartedOrStopped(change))) {
    return { key: change.key, hash: undefined, restartPending: false };
  }
  return null;
}

/** A service create/update after which no old process is left running: nothing owed survives it. */
function freshlyStartedOrStopped(change: Change): boolean {
  if (change.action === 'create') return true;
  if (change.action !== 'update') return false;
  const before = change.before ?? {};
  const after = change.after ?? {};
  return before.running !== true || after.enabled !== true || before.definitionHash !== after.definitionHash;
}

const guardSaysDone = (change: Change): boolean => {
  const after = change.after ?? {};
  const before = change.before ?? {};
  return (after.creates !== undefined && before.createsExists === true) || (after.unless !== undefined && before.unlessExitCode === 0);
};

/**
 * Whether a change is a restart or re-run that, once the changes it depends on have started touching the
 * node, only the node's record can remember: the re-plan after a crash sees those changes done and would
 * not derive it again.
 *
 * Not a first run of a guarded command: its guard already decides after a crash, and flagging it would make
 * a run killed mid-command run a second time although `creates` says it did its work.
 */
export function owesRestart(change: Change): boolean {
  if (change.kind === 'service') {
    if (change.action === 'restart') return true;
    // An update of a running service restarts it once the definition is written (service/apply.ts).
    return change.action === 'update' && change.before?.running === true && change.after?.enabled === true && change.before.definitionHash !== change.after.definitionHash;
  }
  if (change.kind === 'command' && change.action === 'run') {
    const after = change.after ?? {};
    const guarded = after.creates !== undefined || after.unless !== undefined;
    return !guarded || guardSaysDone(change);
  }
  return false;
}

/**
 * The record update that flags an owed restart or re-run before its prerequisites run. A command not
 * recorded yet needs no flag when nothing but the record says it ran (the re-plan runs it as "never run");
 * one whose guard says it did its work is recorded with the flag, or its re-run would be lost.
 */
export function restartPendingMark(change: Change): ManagedUpdate {
  const recordIfNew = change.kind === 'command' && change.desiredHash !== undefined && guardSaysDone(change);
  return { key: change.key, hash: undefined, restartPending: true, ...(recordIfNew ? { hashIfNew: change.desiredHash } : {}) };
}
