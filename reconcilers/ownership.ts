/**
 * The managed-record rules most kinds follow (controller/apply/managed-record-keeper.ts says why the
 * timing matters): a resource is recorded before it is created or updated, so a crash never leaves behind
 * something underlay made but does not know it owns, and dropped only after it was deleted.
 */
import type { Change } from '../controller/model/change.js';
import type { Ownership } from './kind.js';
import type { ManagedUpdate } from './managed-record-format.js';

const writes = (change: Change): boolean => (change.action === 'create' || change.action === 'update') && change.desiredHash !== undefined;

/** Pending until written: until then, what differs on the node is that write's unfinished work, not drift (ADR 0028). */
export function recordBeforeWrite(change: Change): ManagedUpdate | null {
  return writes(change) ? { key: change.key, hash: change.desiredHash, applyPending: true } : null;
}

/** The write succeeded: the node now holds what the recorded hash stands for. */
export function confirmAfterWrite(change: Change): ManagedUpdate | null {
  return writes(change) ? { key: change.key, hash: undefined, applyPending: false } : null;
}

export function dropAfterDelete(change: Change): ManagedUpdate | null {
  return change.action === 'delete' ? { key: change.key, hash: null } : null;
}

/** Files, directories, links: what is written is what is owned. */
export const recordedWhileWritten: Ownership = { before: recordBeforeWrite, after: (change) => dropAfterDelete(change) ?? confirmAfterWrite(change) };
