/**
 * The node's own record of what underlay manages on it: `/var/lib/underlay/managed.json`, resource key ->
 * hash of the spec last applied. Only what is listed here is ever pruned. Pure parse and render.
 */
import { z } from 'zod';
import { canonicalJson } from '../controller/plan/canonical-json.js';

export const MANAGED_RECORD_PATH = '/var/lib/underlay/managed.json';

export const ManagedRecord = z.strictObject({
  version: z.literal(1),
  resources: z.record(z.string(), z.strictObject({ hash: z.string().min(1) })),
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
  for (const { key, hash } of updates) {
    if (hash === null) delete next[key];
    else next[key] = { hash };
  }
  return next;
}

export interface ManagedUpdate {
  key: string;
  /** Null removes the key: the resource was deleted and is no longer underlay's. */
  hash: string | null;
}
