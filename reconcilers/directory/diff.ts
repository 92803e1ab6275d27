/**
 * Pure diff of a managed directory.
 */
import type { DiffInput, DiffResult } from '../kind.js';
import type { DesiredDirectory, ObservedDirectory } from './schema.js';
import { attributeChanges, missingReason, normaliseMode, pruneResult } from '../diff-support.js';

// Members in key order: the plan hash then serialises them natively.
function directoryAfter(d: DesiredDirectory): Record<string, unknown> {
  return { group: d.group, mode: d.mode, owner: d.owner, path: d.path };
}

function directoryBefore(o: ObservedDirectory): Record<string, unknown> {
  const before: Record<string, unknown> = {};
  if (o.group !== undefined) before.group = o.group;
  if (o.mode !== undefined) before.mode = normaliseMode(o.mode);
  if (o.owner !== undefined) before.owner = o.owner;
  before.path = o.path;
  return before;
}

export function diffDirectory(input: DiffInput<DesiredDirectory, ObservedDirectory>): DiffResult | null {
  const { desired, observed, managedHash } = input;
  if (desired === null) return pruneResult(observed, managedHash, observed?.exists ? directoryBefore(observed) : null);
  if (!observed || !observed.exists) {
    return { action: 'create', reason: missingReason(observed), before: null, after: directoryAfter(desired) };
  }
  const before = directoryBefore(observed);
  // Taking over an existing directory keeps its contents: only ownership and mode are changed.
  if (managedHash === undefined) {
    return { action: 'update', reason: 'exists, not managed by underlay: ownership and mode will be taken over', before, after: directoryAfter(desired) };
  }
  const differences = attributeChanges(observed, desired);
  if (differences.length === 0) return null;
  return { action: 'update', reason: differences.join(', '), before, after: directoryAfter(desired) };
}
