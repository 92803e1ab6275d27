/**
 * Turns the text of one file into documents that remember where each of their fields came from, so every
 * later check can point at file:line:col instead of at "somewhere in the repository".
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode, Pair, YAMLError } from 'yaml';
import { diagnostic, type Diagnostic, type DiagnosticCode } from '../spec/diagnostic.js';
import type { SourceLocation, TextPosition } from '../model/source-location.js';
import { sourceOffsetIn } from './scalar-positions.js';
import type { UnreadableDocument } from './unreadable-documents.js';
import { checkTree, findTooDeep, MAX_NESTING_DEPTH, withoutDocuments } from './yaml-nesting.js';
import { sourceTokens } from './yaml-tokens.js';
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
  /** Where a field is; with `within`, where that position inside the field's text is written. */
  locate(path: FieldPath, within?: TextPosition): SourceLocation;
  /** Where the key of a field is; for an unknown key the key itself is the interesting place. */
  locateKey(path: FieldPath): SourceLocation;
}

export interface ParsedFile {
  documents: YamlDocument[];
  diagnostics: Diagnostic[];
  /** Documents that did not parse, named as far as they can still be read. */
  unreadable: UnreadableDocument[];
}

export function parseYamlFile(file: string, text: string): ParsedFile {
  // Lines are counted here, not by the parser: on some malformed input it skips line breaks it never reports,
  // and every position after them would land on the wrong line.
  const lineCounter = new LineCounter();
  lineCounter.addNewLine(0);
  for (const m of text.matchAll(/\n/g)) lineCounter.addNewLine(m.index + 1);
  // The end of the text is after its last line break: that would be a line past the end of the file.
  const contentEnd = text.trimEnd().length;
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset >= text.length ? contentEnd : offset);
    return { file, line, column: col };
  };
  const tooDeep = findTooDeep(text);
  const readable = withoutDocuments(text, tooDeep);
  // Every key as a string, as JSON and zod see it: `1:` and `"1":` are then the duplicate they are, and a
  // collection as a key is an error instead of a stringified "[ a ]".
  const parsed = parseAllDocuments(readable, { uniqueKeys: true, stringKeys: true, prettyErrors: false });
  const docs = Array.isArray(parsed) ? parsed : [];
  const documents: YamlDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const unreadable: UnreadableDocument[] = [];
  const refuse = (code: DiagnosticCode, message: string, offset: number, doc?: Document): void => {
    diagnostics.push(diagnostic(code, message, { location: at(offset) }));
    unreadable.push({ file, ...(doc ? header(doc) : {}) });
  };

  for (const deep of tooDeep) {
    refuse('YamlTooDeep', `collections nest more than ${MAX_NESTING_DEPTH} levels deep here; a site document needs far fewer`, deep.offset);
  }
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) diagnostics.push(syntaxDiagnostic(e, at, readable));
      unreadable.push({ file, ...header(doc) });
      return;
    }
    diagnostics.push(...privateKeysInYamlStrings(doc, text, at));
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) return;
    const start = at(contents.range[0]);
    const problem = checkTree(doc);
    if (problem?.kind === 'recursive-alias') {
      refuse('YamlRecursiveAlias', `alias *${problem.alias} is inside the node it names, so its value would never end`, problem.offset, doc);
      return;
    }
    if (problem) {
      refuse('YamlTooDeep', `through aliases, this value nests ${problem.depth} collections deep; at most ${MAX_NESTING_DEPTH} are allowed`, problem.offset, doc);
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      refuse('YamlSyntax', `document expands too many aliases (${(e as Error).message}); at most ${MAX_ALIAS_COUNT} are allowed`, contents.range[0], doc);
      return;
    }
    if (!isMap(contents)) {
      diagnostics.push(diagnostic('SchemaViolation', 'a document must be a mapping with apiVersion, kind, metadata and spec', { location: start }));
      return;
    }
    documents.push({
      file,
      index,
      value,
      location: start,
      locate: (path, within) => {
        const scalar = within ? nodeAt(doc, path) : undefined;
        const inText = isScalar(scalar) && within ? sourceOffsetIn(scalar, text, within) : undefined;
        return at(inText ?? walk(doc, path, 'value') ?? contents.range[0]);
      },
      locateKey: (path) => at(walk(doc, path, 'key') ?? contents.range[0]),
    });
  });
  return { documents, diagnostics, unreadable };
}

/** One of yaml's errors as a diagnostic, placed where the mistake is. */
export function syntaxDiagnostic(e: YAMLError, at: (offset: number) => SourceLocation, text: string): Diagnostic {
  const error = (message: string, offset = e.pos[0], code: DiagnosticCode = 'YamlSyntax'): Diagnostic => diagnostic(code, message, { location: at(offset) });
  if (e.code === 'DUPLICATE_KEY') return error('duplicate key: a mapping must not repeat a key');
  if (e.code === 'NON_STRING_KEY') return error('a mapping key must be a plain string, not a list, a mapping or a tagged value');
  // yaml turns a stack overflow while composing into this code; the pre-scan should leave none, but if one
  // slips through it is a size limit, not a mistake in the YAML.
  if (e.code === 'RESOURCE_EXHAUSTION') return error('document is too deeply nested to read', e.pos[0], 'YamlTooDeep');
  if (e.code === 'MISSING_CHAR' && /quote/.test(e.message)) {
    // yaml reports an unclosed quote where the text runs out; the mistake is where the string opens.
    const opening = openingQuote(text, e.pos[0]);
    if (opening !== undefined) return error('this quoted string is never closed (missing closing quote)', opening);
  }
  return error(e.message.split('\n')[0]!);
}

/** Where the quoted scalar that runs up to `end` begins. */
function openingQuote(text: string, end: number): number | undefined {
  for (const { type, start, text: token } of sourceTokens(text)) {
    if (start > end) return undefined;
    if ((type === 'double-quoted-scalar' || type === 'single-quoted-scalar') && start + token.length === end) return start;
  }
  return undefined;
}

/** The kind and name of a document that did not parse, as far as its partial tree still says. */
function header(doc: Document): Omit<UnreadableDocument, 'file'> {
  const kind: unknown = doc.get('kind');
  const name: unknown = doc.getIn(['metadata', 'name']);
  return { ...(typeof kind === 'string' ? { kind } : {}), ...(typeof name === 'string' ? { name } : {}) };
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
    const { pair, next } = child(node, seg);
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

function child(node: unknown, seg: string | number): { pair?: Pair; next?: unknown } {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && keyOf(p.key) === String(seg));
    return { pair, next: pair?.value };
  }
  return { next: isSeq(node) && typeof seg === 'number' ? node.items[seg] : undefined };
}

/** The node at exactly `path`, or undefined. */
function nodeAt(doc: Document, path: FieldPath): unknown {
  let node: unknown = doc.contents;
  for (const seg of path) node = child(node, seg).next;
  return node;
}

function keyOf(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as YamlNode | null | undefined)?.range;
  return range ? range[0] : undefined;
}
