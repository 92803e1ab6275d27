/**
 * The node's own record of what underlay manages on it: `/var/lib/underlay/managed.json`, resource key ->
 * hash of the spec last applied. Only what is listed here is ever pruned. Pure parse and render.
 *
 * An entry may also carry `restartPending: true`: a restart (service) or re-run (command) is owed because
 * something it depends on was, or was about to be, changed by a run that has not finished it. It lives on the
 * node, not in the controller's database, because the node is what the next run re-observes, whichever
 * controller (or database) that run has.
 */
import { z } from 'zod';
import { canonicalJson } from '../controller/plan/canonical-json.js';

export const MANAGED_RECORD_PATH = '/var/lib/underlay/managed.json';

export const ManagedRecord = z.strictObject({
  version: z.literal(1),
  resources: z.record(z.string(), z.strictObject({ hash: z.string().min(1), restartPending: z.literal(true).optional() })),
});
export type ManagedRecord = z.infer<typeof ManagedRecord>;
export type ManagedEntries = ManagedRecord['resources'];

export class ManagedRecordError extends Error {
  constructor(message: string) {
    super(`managed record ${MANAGED_RECORD_PATH}: ${message}`);
    this.name = 'ManagedRecordError';
  }
}

export function parseManagedRecord(text: string): ManagedEntries {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ManagedRecordError(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = ManagedRecord.safeParse(raw);
  if (!parsed.success) throw new ManagedRecordError(`unexpected shape: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data.resources;
}

/** Canonical (sorted keys), with a final newline: the same entries always give the same bytes. */
export function renderManagedRecord(entries: ManagedEntries): string {
  return canonicalJson({ version: 1, resources: entries }, 1) + '\n';
}

export function applyManagedUpdates(entries: ManagedEntries, updates: readonly ManagedUpdate[]): ManagedEntries {
  const next: ManagedEntries = { ...entries };
  for (const update of updates) {
    const { key, hash } = update;
    if (hash === null) {
      delete next[key];
      continue;
    }
    const current = next[key];
    // A new hash keeps an owed restart: writing the resource is not restarting what uses it.
    let entry = hash !== undefined ? { ...current, hash } : current;
    if (update.restartPending === true) {
      entry ??= update.hashIfNew !== undefined ? { hash: update.hashIfNew } : undefined;
      if (entry) entry = { ...entry, restartPending: true };
    } else if (update.restartPending === false && entry) {
      entry = { hash: entry.hash };
    }
    if (entry) next[key] = entry;
  }
  return next;
}

export interface ManagedUpdate {
  key: string;
  /** Null removes the key: the resource was deleted and is no longer underlay's. Undefined keeps the recorded hash. */
  hash: string | null | undefined;
  /** Sets (true) or clears (false) the entry's owed restart or re-run. */
  restartPending?: boolean;
  /** When setting the flag on a key not recorded yet: the hash to record it with (else nothing is recorded). */
  hashIfNew?: string;
}
