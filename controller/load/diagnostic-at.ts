import { diagnostic, fieldPath } from '../spec/diagnostic.js';
import type { Diagnostic, DiagnosticCode } from '../spec/diagnostic.js';
import type { Located } from '../spec/spec.js';

/** A diagnostic about one field of a loaded document, located where that field is written. */
export function diagnosticAt<T>(
  located: Located<T>,
  path: readonly (string | number)[],
  code: DiagnosticCode,
  message: string,
): Diagnostic {
  return diagnostic(code, message, { location: located.locate(path), field: fieldPath(path) });
}
