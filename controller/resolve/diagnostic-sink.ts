/**
 * Collects resolve diagnostics. The same template evaluated on 10,000 nodes fails 10,000 times for one
 * reason: the user needs one diagnostic naming a node and the count, not a wall of copies.
 */
import { diagnostic, type Diagnostic, type DiagnosticCode, type DiagnosticPlace } from '../spec/diagnostic.js';
import { DIAGNOSTIC_CODES } from '../model/diagnostic-codes.js';

interface Entry {
  diagnostic: Diagnostic;
  nodes: string[];
}

/** Where a diagnostic points, and the node it was found on (the same one found on other nodes is merged). */
export interface SinkPlace extends DiagnosticPlace {
  node?: string | undefined;
}

/** The codes whose severity is warning: a diagnostic's severity is its code's. */
type WarningCode = { [K in DiagnosticCode]: (typeof DIAGNOSTIC_CODES)[K]['severity'] extends 'warning' ? K : never }[DiagnosticCode];

export class DiagnosticSink {
  readonly #entries = new Map<string, Entry>();
  #errors = 0;

  /** `message` must not name the node: it is appended, and identical messages on other nodes are merged. */
  error(code: DiagnosticCode, message: string, at: SinkPlace): void {
    this.#add(code, message, at);
  }

  /** As error(), for what the user should know although the site is valid. */
  warning(code: WarningCode, message: string, at: SinkPlace): void {
    this.#add(code, message, at);
  }

  #add(code: DiagnosticCode, message: string, { location, field, node }: SinkPlace): void {
    const key = [code, message, location?.file, location?.line, location?.column, field].join('\u0000');
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { diagnostic: diagnostic(code, message, { location, field }), nodes: [] };
      this.#entries.set(key, entry);
      if (entry.diagnostic.severity === 'error') this.#errors++;
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
