/**
 * Collects resolve diagnostics. The same template evaluated on 10,000 nodes fails 10,000 times for one
 * reason: the user needs one diagnostic naming a node and the count, not a wall of copies.
 */
import type { Diagnostic, Severity, SourceLocation } from '../spec/diagnostic.js';

interface Entry {
  diagnostic: Diagnostic;
  nodes: string[];
}

export class DiagnosticSink {
  readonly #entries = new Map<string, Entry>();
  #errors = 0;

  /** `message` must not name the node: it is appended, and identical messages on other nodes are merged. */
  error(code: string, message: string, location: SourceLocation | undefined, field: string | undefined, node?: string): void {
    this.#add('error', code, message, location, field, node);
  }

  /** As error(), for what the user should know but does not stop the site from being valid. */
  warning(code: string, message: string, location: SourceLocation | undefined, field: string | undefined, node?: string): void {
    this.#add('warning', code, message, location, field, node);
  }

  #add(severity: Severity, code: string, message: string, location: SourceLocation | undefined, field: string | undefined, node?: string): void {
    const key = [severity, code, message, location?.file, location?.line, location?.column, field].join('\u0000');
    let entry = this.#entries.get(key);
    if (!entry) {
      const diagnostic: Diagnostic = { severity, code, message };
      if (location) diagnostic.location = location;
      if (field) diagnostic.field = field;
      entry = { diagnostic, nodes: [] };
      this.#entries.set(key, entry);
      if (severity === 'error') this.#errors++;
    }
    if (node !== undefined) entry.nodes.push(node);
  }

  get hasErrors(): boolean {
    return this.#errors > 0;
  }

  diagnostics(): Diagnostic[] {
    return [...this.#entries.values()].map(({ diagnostic, nodes }) => {
      if (nodes.length === 0) return diagnostic;
      const sorted = [...new Set(nodes)].sort();
      const others = sorted.length > 1 ? ` (and ${sorted.length - 1} other node${sorted.length > 2 ? 's' : ''})` : '';
      return { ...diagnostic, message: `${diagnostic.message} [node ${sorted[0]}${others}]` };
    });
  }
}
