/**
 * Turns the text of one file into documents that remember where each of their fields came from, so every
 * later check can point at file:line:col instead of at "somewhere in the repository".
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode, Pair } from 'yaml';
import type { Diagnostic, SourceLocation } from '../spec/diagnostic.js';
import { privateKeysInYamlStrings } from './yaml-string-keys.js';

/** Aliases legitimately appear a handful of times; thousands mean a "billion laughs" expansion bomb. */
export const MAX_ALIAS_COUNT = 100;

export type FieldPath = readonly (string | number)[];

export interface YamlDocument {
  file: string;
  /** 0-based position of the document in its file (the Nth `---`). */
  index: number;
  /** The plain value (maps, lists, scalars), as zod will see it. */
  value: unknown;
  location: SourceLocation;
  locate(path: FieldPath): SourceLocation;
  /** Where the key of a field is; for an unknown key the key itself is the interesting place. */
  locateKey(path: FieldPath): SourceLocation;
}

export interface ParsedFile {
  documents: YamlDocument[];
  diagnostics: Diagnostic[];
}

export function parseYamlFile(file: string, text: string): ParsedFile {
  const lineCounter = new LineCounter();
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const docs = Array.isArray(parsed) ? parsed : [];
  const documents: YamlDocument[] = [];
  const diagnostics: Diagnostic[] = [];

  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const message = e.code === 'DUPLICATE_KEY' ? 'duplicate key: a mapping must not repeat a key' : e.message.split('\n')[0]!;
        diagnostics.push({ severity: 'error', code: 'YamlSyntax', message, location: at(e.pos[0]) });
      }
      return;
    }
    diagnostics.push(...privateKeysInYamlStrings(doc, text, at));
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) return;
    const start = at(contents.range[0]);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      diagnostics.push({
        severity: 'error',
        code: 'YamlSyntax',
        message: `document expands too many aliases (${(e as Error).message}); at most ${MAX_ALIAS_COUNT} are allowed`,
        location: start,
      });
      return;
    }
    if (!isMap(contents)) {
      diagnostics.push({ severity: 'error', code: 'SchemaViolation', message: 'a document must be a mapping with apiVersion, kind, metadata and spec', location: start });
      return;
    }
    documents.push({
      file,
      index,
      value,
      location: start,
      locate: (path) => at(walk(doc, path, 'value') ?? contents.range[0]),
      locateKey: (path) => at(walk(doc, path, 'key') ?? contents.range[0]),
    });
  });
  return { documents, diagnostics };
}

/**
 * Follows `path` through the YAML tree. When the path leaves the tree (a missing field), the answer is the
 * key of the deepest field that exists: that is where the missing field belongs.
 */
function walk(doc: Document, path: FieldPath, want: 'key' | 'value'): number | undefined {
  let node: unknown = doc.contents;
  let fallback: number | undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    let pair: Pair | undefined;
    let next: unknown;
    if (isMap(node)) {
      pair = node.items.find((p) => isPair(p) && keyOf(p.key) === String(seg));
      next = pair?.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg];
    }
    if (next === undefined && pair === undefined) return fallback ?? rangeStart(node);
    const last = i === path.length - 1;
    const keyStart = pair ? rangeStart(pair.key) : undefined;
    const valueStart = rangeStart(next);
    // A block mapping or list starts on the line after its key; the key is where a reader looks.
    const block = (isMap(next) || isSeq(next)) && !next.flow;
    if (last) return want === 'key' || block ? (keyStart ?? valueStart) : (valueStart ?? keyStart);
    fallback = keyStart ?? valueStart;
    node = next;
  }
  return rangeStart(node);
}

function keyOf(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as YamlNode | null | undefined)?.range;
  return range ? range[0] : undefined;
}
