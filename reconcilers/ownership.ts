/**
 * The managed-record rules most kinds follow (controller/apply/managed-record-keeper.ts says why the
 * timing matters): a resource is recorded before it is created or updated, so a crash never leaves behind
 * something underlay made but does not know it owns, and dropped only after it was deleted.
 */
import type { Change } from '../controller/model/change.js';
import type { Ownership } from './kind.js';
import type { ManagedUpdate } from './managed-record-format.js';

export function recordBeforeWrite(change: Change): ManagedUpdate | null {
  if ((change.action === 'create' || change.action === 'update') && change.desiredHash !== undefined) {
    return { key: change.key, hash: change.desiredHash };
  }
  return null;
}

export function dropAfterDelete(change: Change): ManagedUpdate | null {
  return change.action === 'delete' ? { key: change.key, hash: null } : null;
}

/** Files, directories, links: what is written is what is owned. */
export const recordedWhileWritten: Ownership = { before: recordBeforeWrite, after: dropAfterDelete };
