/**
 * Pure diff of a guarded command: decides whether it runs, and names the guard that decided.
 * Commands cannot be undone, so a command removed from Git only has its managed record dropped.
 */
import type { ObservedCommand } from '../../controller/inventory/inventory.js';
import type { DesiredCommand } from '../../controller/resolve/desired.js';
import { shortHash } from '../../controller/plan/canonical-json.js';
import type { DiffInput, DiffResult } from '../reconciler.js';

// Members in key order: the plan hash then serialises them natively.
export function commandAfter(d: DesiredCommand): Record<string, unknown> {
  const after: Record<string, unknown> = { argv: d.argv };
  if (d.creates !== undefined) after.creates = d.creates;
  after.name = d.name;
  if (d.unless !== undefined) after.unless = d.unless;
  return after;
}

function commandBefore(o: ObservedCommand | undefined): Record<string, unknown> | null {
  if (!o) return null;
  const before: Record<string, unknown> = {};
  if (o.createsExists !== undefined) before.createsExists = o.createsExists;
  before.name = o.name;
  if (o.unlessExitCode !== undefined) before.unlessExitCode = o.unlessExitCode;
  return before;
}

/** Why a guarded command runs, or null when a guard says it already did its work. */
function guardReason(d: DesiredCommand, o: ObservedCommand | undefined): string | null {
  const reasons: string[] = [];
  if (d.creates !== undefined) {
    if (o?.createsExists === true) return null;
    reasons.push(o?.createsExists === false ? `creates ${d.creates}: missing` : `creates ${d.creates}: not observed (assumed missing)`);
  }
  if (d.unless !== undefined) {
    if (o?.unlessExitCode === 0) return null;
    reasons.push(o?.unlessExitCode === undefined ? 'unless guard not evaluated (assumed failing)' : `unless guard exited ${o.unlessExitCode}`);
  }
  return reasons.join(', ');
}

export function diffCommand(input: DiffInput<DesiredCommand, ObservedCommand>): DiffResult | null {
  const { desired, observed, managedHash, desiredHash } = input;
  if (desired === null) {
    if (managedHash === undefined) return null;
    return { action: 'delete', reason: 'no longer in Git: the managed record is dropped (commands are not undone)', before: commandBefore(observed), after: null };
  }
  const after = commandAfter(desired);
  if (desired.creates !== undefined || desired.unless !== undefined) {
    const reason = guardReason(desired, observed);
    return reason === null ? null : { action: 'run', reason, before: commandBefore(observed), after };
  }
  if (managedHash === desiredHash) return null;
  const reason =
    managedHash === undefined
      ? 'no guards and never run by underlay'
      : `no guards and the command changed since its last run (sha256 ${shortHash(managedHash)} -> ${shortHash(desiredHash)})`;
  return { action: 'run', reason, before: commandBefore(observed), after };
}
