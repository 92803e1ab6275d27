/**
 * Problems are collected, not thrown: a user sees every error of a repository at once, each naming the
 * file, line, column and field it is about (Terraform's diagnostics, for the same reason).
 */
import { byCodeUnit } from '../model/order.js';
import { DIAGNOSTIC_CODES, type DiagnosticCode, type Severity } from '../model/diagnostic-codes.js';
import type { SourceLocation } from '../model/source-location.js';

export type { DiagnosticCode, Severity };

export interface Diagnostic {
  severity: Severity;
  /** Stable CamelCase identifier from controller/model/diagnostic-codes.ts. Tests and tools match on it. */
  code: DiagnosticCode;
  message: string;
  location?: SourceLocation;
  /** Field path inside the document, dotted: 'spec.steps[1].with.peers'. */
  field?: string;
}

/** Where a diagnostic points; both optional, as a problem of a whole revision has no field. */
export interface DiagnosticPlace {
  location?: SourceLocation | undefined;
  field?: string | undefined;
}

/** The one way to make a diagnostic: its severity is its code's, from the list of every code. */
export function diagnostic(code: DiagnosticCode, message: string, place: DiagnosticPlace = {}): Diagnostic {
  const d: Diagnostic = { severity: DIAGNOSTIC_CODES[code].severity, code, message };
  if (place.location !== undefined) d.location = place.location;
  if (place.field !== undefined) d.field = place.field;
  return d;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `file:line:col: error: field: message [Code]`, the shape editors and CI annotations understand. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.location ? `${d.location.file}:${d.location.line}:${d.location.column}: ` : '';
  const field = d.field ? `${d.field}: ` : '';
  return `${where}${d.severity}: ${field}${d.message} [${d.code}]`;
}

/** Deterministic order: by file, line, column, then code and message. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => {
    const x = a.location ?? NOWHERE;
    const y = b.location ?? NOWHERE;
    return byCodeUnit(x.file, y.file) || x.line - y.line || x.column - y.column || byCodeUnit(a.code, b.code) || byCodeUnit(a.message, b.message);
  });
}

/** A diagnostic of the whole revision sorts before any located one. */
const NOWHERE: SourceLocation = { file: '', line: 0, column: 0 };

/** Formats a dotted field path from a zod/YAML path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}
