import { type Diagnostic, formatDiagnostic } from '../spec/diagnostic.js';
import type { CliIO } from './io.js';

/** Diagnostics always go to stderr (stdout stays machine-readable), one per line, then a count. */
export function printDiagnostics(io: CliIO, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) io.stderr(`${formatDiagnostic(d)}\n`);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (diagnostics.length > 0) io.stderr(`${errors} error(s), ${warnings} warning(s)\n`);
}
