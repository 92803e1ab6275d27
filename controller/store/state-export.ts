/**
 * `underlay state export` / `import`: the state a state directory holds that nothing can rebuild (the IP
 * pools' ledger; the CA's certificate serials plug in as another section), for one site, as one JSON
 * document. Generic over named sections, so a new kind of such state is one more section. An import adds
 * what is missing and refuses, writing nothing, when anything contradicts what is already there.
 */
import { z } from 'zod';
import { UnderlayError } from '../model/errors.js';

export const STATE_EXPORT_API_VERSION = 'underlay.dev/v1alpha1';

/** One named kind of state: its rows as plain JSON values, checked by its schema before import. */
export interface StateSection<Row = unknown> {
  name: string;
  schema: z.ZodType<Row>;
  rows(): Row[];
  /** Why importing these rows would contradict what is here: one line each, empty when none. */
  conflicts(rows: readonly Row[]): string[];
  /** Adds the rows not here yet (called inside the import's one transaction, after no section reported a conflict). */
  add(rows: readonly Row[]): number;
}

export interface StateExport {
  apiVersion: typeof STATE_EXPORT_API_VERSION;
  kind: 'StateExport';
  site: string;
  exportedAt: string;
  sections: Record<string, unknown[]>;
}

const StateExportSchema = z.strictObject({
  apiVersion: z.literal(STATE_EXPORT_API_VERSION),
  kind: z.literal('StateExport'),
  site: z.string().min(1),
  exportedAt: z.string(),
  sections: z.record(z.string(), z.array(z.unknown())),
});

export function exportState(site: string, exportedAt: string, sections: readonly StateSection[]): StateExport {
  return { apiVersion: STATE_EXPORT_API_VERSION, kind: 'StateExport', site, exportedAt, sections: Object.fromEntries(sections.map((s) => [s.name, s.rows()])) };
}

const invalid = (message: string): UnderlayError => new UnderlayError({ code: 'StateExportInvalid', message, data: {} });

/** The document as an export, or a StateExportInvalid naming what is wrong. */
export function readStateExport(value: unknown): StateExport {
  const parsed = StateExportSchema.safeParse(value);
  if (!parsed.success) throw invalid(`not a state export: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * Imports every section of the export in `transaction` (one database transaction): all or nothing. A
 * section this underlay does not know is refused, not skipped, so nothing an export holds is lost silently.
 */
export function importState(doc: StateExport, sections: readonly StateSection[], transaction: (fn: () => void) => void): Record<string, number> {
  const byName = new Map(sections.map((s) => [s.name, s]));
  const unknown = Object.keys(doc.sections).filter((name) => !byName.has(name));
  if (unknown.length > 0) throw invalid(`the export has sections this underlay does not know: ${unknown.join(', ')}`);
  const rowsOf = new Map<StateSection, unknown[]>();
  for (const [name, rows] of Object.entries(doc.sections)) {
    const section = byName.get(name)!;
    const parsed = z.array(section.schema).safeParse(rows);
    if (!parsed.success) throw invalid(`section ${name}: ${parsed.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ')}`);
    rowsOf.set(section, parsed.data);
  }
  const added: Record<string, number> = {};
  transaction(() => {
    const conflicts = [...rowsOf].flatMap(([section, rows]) => section.conflicts(rows));
    if (conflicts.length > 0) {
      throw new UnderlayError({ code: 'StateImportConflict', message: `nothing imported: the export contradicts this state directory:\n  ${conflicts.join('\n  ')}`, data: { conflicts } });
    }
    for (const [section, rows] of rowsOf) added[section.name] = section.add(rows);
  });
  return added;
}
