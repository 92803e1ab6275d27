/**
 * Pure diff of a managed symbolic link. Something else at its path (a file) is taken over as a file is;
 * apply refuses to replace a directory.
 */
import type { DiffInput, DiffResult } from '../kind.js';
import { missingReason, pruneResult, UNMANAGED_TAKEOVER } from '../diff-support.js';
import type { DesiredSymlink, ObservedSymlink } from './schema.js';

// Members in key order: the plan hash then serialises them natively.
function symlinkAfter(d: DesiredSymlink): Record<string, unknown> {
  return { group: d.group, owner: d.owner, path: d.path, target: d.target };
}

function symlinkBefore(o: ObservedSymlink): Record<string, unknown> {
  const before: Record<string, unknown> = {};
  if (o.group !== undefined) before.group = o.group;
  if (o.owner !== undefined) before.owner = o.owner;
  before.path = o.path;
  if (o.target !== undefined) before.target = o.target;
  return before;
}

function differences(observed: ObservedSymlink, desired: DesiredSymlink): string[] {
  const out: string[] = [];
  if (observed.target !== desired.target) out.push(`target ${observed.target ?? '(unknown)'} -> ${desired.target}`);
  if (observed.owner !== desired.owner) out.push(`owner ${observed.owner ?? '(unknown)'} -> ${desired.owner}`);
  if (observed.group !== desired.group) out.push(`group ${observed.group ?? '(unknown)'} -> ${desired.group}`);
  return out;
}

export function diffSymlink(input: DiffInput<DesiredSymlink, ObservedSymlink>): DiffResult | null {
  const { desired, observed, managedHash } = input;
  if (desired === null) return pruneResult(observed, managedHash, observed?.exists ? symlinkBefore(observed) : null);
  if (!observed || !observed.exists) {
    return { action: 'create', reason: missingReason(observed), before: null, after: symlinkAfter(desired) };
  }
  const before = symlinkBefore(observed);
  if (observed.target === undefined) {
    const reason = managedHash === undefined ? `not a symbolic link; ${UNMANAGED_TAKEOVER}` : 'no longer a symbolic link: will be replaced';
    return { action: 'update', reason, before, after: symlinkAfter(desired) };
  }
  if (managedHash === undefined) return { action: 'update', reason: UNMANAGED_TAKEOVER, before, after: symlinkAfter(desired) };
  const changed = differences(observed, desired);
  if (changed.length === 0) return null;
  return { action: 'update', reason: changed.join(', '), before, after: symlinkAfter(desired) };
}
