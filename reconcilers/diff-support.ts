/**
 * Phrases and checks shared by the per-kind diffs, so every kind explains itself the same way.
 */
import type { DiffResult } from './kind.js';

export const UNMANAGED_TAKEOVER = 'exists, not managed by underlay: will be replaced';

/** Modes are compared as 4 octal digits: probes may report '644' where Git says '0644'. */
export function normaliseMode(mode: string): string {
  return mode.padStart(4, '0');
}

export function missingReason(observed: { exists?: boolean } | undefined): string {
  return observed === undefined ? 'not in the inventory (assumed missing)' : 'does not exist';
}

interface Ownership {
  mode?: string | undefined;
  owner?: string | undefined;
  group?: string | undefined;
}

/** "mode 0600 -> 0644", "owner root -> etcd", ... for each attribute that differs. */
export function attributeChanges(observed: Ownership, desired: Required<Ownership>): string[] {
  const out: string[] = [];
  const mode = observed.mode === undefined ? undefined : normaliseMode(observed.mode);
  if (mode !== normaliseMode(desired.mode)) out.push(`mode ${mode ?? '(unknown)'} -> ${normaliseMode(desired.mode)}`);
  if (observed.owner !== desired.owner) out.push(`owner ${observed.owner ?? '(unknown)'} -> ${desired.owner}`);
  if (observed.group !== desired.group) out.push(`group ${observed.group ?? '(unknown)'} -> ${desired.group}`);
  return out;
}

/**
 * A resource no longer in Git is removed only when underlay's own record says it created it: what
 * underlay did not create, it never touches.
 */
export function pruneResult(
  observed: { exists?: boolean } | undefined,
  managedHash: string | undefined,
  before: Record<string, unknown> | null,
): DiffResult | null {
  if (managedHash === undefined) return null;
  const reason =
    observed !== undefined && observed.exists === false
      ? 'no longer in Git; already absent on the node, only the managed record is dropped'
      : 'no longer in Git, managed by underlay';
  return { action: 'delete', reason, before, after: null };
}
