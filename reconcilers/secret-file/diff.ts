/**
 * Pure diff of a secret file. Its content is compared only through the probe's verdicts (keyed digests,
 * probe.ts): a change says the content differs, never how, and whether the secret rotated in the store
 * since underlay wrote it. A rotation is never drift: the spec, whose hash the managed record holds, names
 * the secret and not its value, so without this the planner would take it for a hand edit and a
 * reconcile would hold it back (ADR 0028). Something unmanaged at its path is taken over, as a file is.
 */
import type { DiffInput, DiffResult } from '../kind.js';
import { attributeChanges, missingReason, normaliseMode, pruneResult, UNMANAGED_TAKEOVER } from '../diff-support.js';
import type { DesiredSecretFile, ObservedSecretFile } from './schema.js';

// Members in key order: the plan hash then serialises them natively. No value, digest or size: a name only.
function secretFileAfter(d: DesiredSecretFile): Record<string, unknown> {
  return { group: d.group, mode: d.mode, owner: d.owner, path: d.path, secret: d.secret };
}

function secretFileBefore(o: ObservedSecretFile): Record<string, unknown> {
  const before: Record<string, unknown> = {};
  if (o.content !== undefined) before.content = o.content;
  if (o.group !== undefined) before.group = o.group;
  if (o.mode !== undefined) before.mode = normaliseMode(o.mode);
  if (o.owner !== undefined) before.owner = o.owner;
  before.path = o.path;
  return before;
}

/** `drift: false` where the change is due whatever the node did: it delivers what the store holds now. */
function contentChange(observed: ObservedSecretFile, secret: string): { reasons: string[]; drift?: false } {
  if (observed.content === 'unknown') return { reasons: [`content not compared with secret ${secret} (observed without its keyed digest): written again`], drift: false };
  if (observed.content !== 'differs') return { reasons: [] };
  if (observed.storeSinceWrite === 'changed') return { reasons: [`secret ${secret} rotated in the store since underlay wrote it (keyed digest)`], drift: false };
  if (observed.storeSinceWrite === 'unchanged') {
    return { reasons: [`content differs from secret ${secret}, unchanged in the store since underlay wrote it (edited on the node?)`] };
  }
  // No mark (a file an older underlay wrote): a rotation cannot be told from an edit, and a rotation must go out.
  return { reasons: [`content differs from secret ${secret} in the store (keyed digest)`], drift: false };
}

export function diffSecretFile(input: DiffInput<DesiredSecretFile, ObservedSecretFile>): DiffResult | null {
  const { desired, observed, managedHash } = input;
  if (desired === null) return pruneResult(observed, managedHash, observed?.exists ? secretFileBefore(observed) : null);
  if (!observed || !observed.exists) {
    return { action: 'create', reason: missingReason(observed), before: null, after: secretFileAfter(desired) };
  }
  const before = secretFileBefore(observed);
  if (managedHash === undefined || observed.content === undefined) {
    const reason = observed.content === undefined ? `not a regular file; ${UNMANAGED_TAKEOVER}` : UNMANAGED_TAKEOVER;
    return { action: 'update', reason, before, after: secretFileAfter(desired) };
  }
  const content = contentChange(observed, desired.secret);
  const differences = [...content.reasons, ...attributeChanges(observed, desired)];
  if (differences.length === 0) return null;
  return { action: 'update', reason: differences.join(', '), before, after: secretFileAfter(desired), ...(content.drift === false ? { drift: false } : {}) };
}
