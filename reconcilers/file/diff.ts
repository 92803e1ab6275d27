/**
 * Pure diff of a managed file: what the planner proposes for one file on one node, and why.
 */
import type { ObservedFile } from '../../controller/inventory/inventory.js';
import type { DesiredFile } from '../../controller/resolve/desired.js';
import type { DiffInput, DiffResult } from '../reconciler.js';
import { attributeChanges, missingReason, normaliseMode, pruneResult, UNMANAGED_TAKEOVER } from '../diff-support.js';
import { shortHash } from '../../controller/plan/canonical-json.js';

export function fileAfter(d: DesiredFile): Record<string, unknown> {
  return {
    path: d.path,
    content: d.content,
    sha256: d.sha256,
    size: Buffer.byteLength(d.content, 'utf8'),
    mode: d.mode,
    owner: d.owner,
    group: d.group,
  };
}

function fileBefore(o: ObservedFile): Record<string, unknown> {
  const before: Record<string, unknown> = { path: o.path };
  if (o.sha256 !== undefined) before.sha256 = o.sha256;
  if (o.size !== undefined) before.size = o.size;
  if (o.mode !== undefined) before.mode = normaliseMode(o.mode);
  if (o.owner !== undefined) before.owner = o.owner;
  if (o.group !== undefined) before.group = o.group;
  if (o.content !== undefined) before.content = o.content;
  return before;
}

export function diffFile(input: DiffInput<DesiredFile, ObservedFile>): DiffResult | null {
  const { desired, observed, managedHash } = input;
  if (desired === null) return pruneResult(observed, managedHash, observed?.exists ? fileBefore(observed) : null);
  if (!observed || !observed.exists) {
    return { action: 'create', reason: missingReason(observed), before: null, after: fileAfter(desired) };
  }
  const before = fileBefore(observed);
  if (managedHash === undefined) {
    return { action: 'update', reason: UNMANAGED_TAKEOVER, before, after: fileAfter(desired) };
  }
  const differences: string[] = [];
  if (observed.sha256 !== desired.sha256) {
    differences.push(`content changed (sha256 ${shortHash(observed.sha256)} -> ${shortHash(desired.sha256)})`);
  }
  differences.push(...attributeChanges(observed, desired));
  if (differences.length === 0) return null;
  return { action: 'update', reason: differences.join(', '), before, after: fileAfter(desired) };
}
