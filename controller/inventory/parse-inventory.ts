/**
 * Reads an inventory snapshot (JSON) and checks it against the schema: a snapshot is input too, and a
 * hand-edited or outdated one must give a clear error rather than a wrong plan. A v1alpha1 snapshot is
 * converted to the current format.
 */
import { diagnostic, type Diagnostic, fieldPath } from '../spec/diagnostic.js';
import type { Inventory } from '../model/observed.js';
import { SnapshotSchema } from './inventory.js';

export function parseInventory(text: string, file: string): { inventory: Inventory | null; diagnostics: Diagnostic[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { inventory: null, diagnostics: [diagnostic('InventorySyntax', message, { location: { file, line: 1, column: 1 } })] };
  }
  const parsed = SnapshotSchema.safeParse(raw);
  if (parsed.success) return { inventory: parsed.data, diagnostics: [] };
  return {
    inventory: null,
    diagnostics: parsed.error.issues.map((issue) => diagnostic('InventorySchema', issue.message, { location: { file, line: 1, column: 1 }, field: fieldPath(issue.path) })),
  };
}
