/**
 * Problems are collected, not thrown: a user sees every error of a repository at once, each naming the
 * file, line, column and field it is about (Terraform's diagnostics, for the same reason).
 */
import { byCodeUnit } from '../model/order.js';

export type Severity = 'error' | 'warning';

export interface SourceLocation {
  /** Repository-relative path. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** A place inside a text that is not a file of its own, such as a template written inline; 1-based. */
export interface TextPosition {
  line: number;
  column: number;
}

export interface Diagnostic {
  severity: Severity;
  /** Stable CamelCase identifier, e.g. 'SchemaViolation', 'DanglingReference'. Tests and tools match on it. */
  code: string;
  message: string;
  location?: SourceLocation;
  /** Field path inside the document, dotted: 'spec.steps[1].with.peers'. */
  field?: string;
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
  return [...ds].sort(
    (a, b) =>
      byCodeUnit(a.location?.file ?? '', b.location?.file ?? '') ||
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0) ||
      byCodeUnit(a.code, b.code) ||
      byCodeUnit(a.message, b.message),
  );
}

/** Formats a dotted field path from a zod/YAML path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}
