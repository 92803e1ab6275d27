/**
 * Pure diff of a managed file: what the planner proposes for one file on one node, and why.
 */
import type { DiffInput, DiffResult } from '../kind.js';
import { type DesiredFile, fileSize, type ObservedFile } from './schema.js';
import { attributeChanges, missingReason, normaliseMode, pruneResult, UNMANAGED_TAKEOVER } from '../diff-support.js';
import { shortHash } from '../../controller/model/sha256.js';

// Members in key order (here and in the other kinds' diffs): the plan hash then serialises them natively.
export function fileAfter(d: DesiredFile): Record<string, unknown> {
  const rest = { group: d.group, mode: d.mode, owner: d.owner, path: d.path, sha256: d.sha256, size: fileSize(d) };
  return 'content' in d ? { content: d.content, ...rest } : { contentBase64: d.contentBase64, ...rest };
}

function fileBefore(o: ObservedFile): Record<string, unknown> {
  const before: Record<string, unknown> = {};
  if (o.content !== undefined) before.content = o.content;
  if (o.group !== undefined) before.group = o.group;
  if (o.mode !== undefined) before.mode = normaliseMode(o.mode);
  if (o.owner !== undefined) before.owner = o.owner;
  before.path = o.path;
  if (o.sha256 !== undefined) before.sha256 = o.sha256;
  if (o.size !== undefined) before.size = o.size;
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
    return { action: 'update', reason: UNMANAGED_TAKEOVER, before, after: fileAfter(desired), disruptive: desired.disruptive === true };
  }
  const differences: string[] = [];
  if (observed.sha256 !== desired.sha256) {
    differences.push(`content changed (sha256 ${shortHash(observed.sha256)} -> ${shortHash(desired.sha256)})`);
  }
  differences.push(...attributeChanges(observed, desired));
  if (differences.length === 0) return null;
  // A file the module marks disruptive (a new binary) is replaced batch by batch; creating it disturbs nothing yet.
  return { action: 'update', reason: differences.join(', '), before, after: fileAfter(desired), disruptive: desired.disruptive === true };
}
