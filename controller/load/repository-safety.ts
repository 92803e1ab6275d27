/**
 * Checks on the repository as a set of files, before any YAML is read: things that must never be in a site
 * repository (private keys, links out of it, huge files), and which files are site documents at all.
 */
import { byCodeUnit } from '../model/order.js';
import { diagnostic, type Diagnostic } from '../spec/diagnostic.js';
import type { SourceLocation } from '../model/source-location.js';
import { DEFAULT_READ_LIMITS, type RevisionFile } from '../source/revision.js';
import { findPrivateKeyMaterial, privateKeyDiagnostic } from './private-key-material.js';
import { dirname, joinRepoPath } from '../spec/repository-path.js';
import { decodeUtf8Strict, scanDecodings } from './text-encoding.js';

export const DEFAULT_MAX_FILE_BYTES = DEFAULT_READ_LIMITS.fileBytes;
/** Chains longer than this are either a loop or not worth following. */
const MAX_SYMLINK_HOPS = 8;
/** Link targets are paths; a lossy decode is enough to report or follow them. */
const utf8 = new TextDecoder('utf-8');

export interface TextFile {
  path: string;
  text: string;
}

export type ReadResult =
  | { ok: true; path: string; text: string }
  | { ok: false; reason: 'missing' | 'outside' | 'too-large' | 'loop' }
  /** `at` is the first bad byte in the file finally read (the target of any symlinks). */
  | { ok: false; reason: 'invalid-utf8'; at: SourceLocation; detail: string };

export interface Repository {
  /** Files that are site documents: `.yaml`/`.yml`, regular files, not inside a `templates` directory. */
  documents: TextFile[];
  /** Reads a referenced (template) file, following symlinks that stay inside the repository. */
  read(path: string): ReadResult;
  diagnostics: Diagnostic[];
}

export function inspectRepository(files: readonly RevisionFile[], maxFileBytes = DEFAULT_MAX_FILE_BYTES): Repository {
  const byPath = new Map<string, RevisionFile>();
  const diagnostics: Diagnostic[] = [];
  const documents: TextFile[] = [];
  const unreadInRevision: RevisionFile[] = [];
  for (const file of files) {
    if (file.path === '.git' || file.path.startsWith('.git/')) continue;
    byPath.set(file.path, file);
    if (file.unread?.over === 'revision') {
      unreadInRevision.push(file);
      continue;
    }
    const document = inspectFile(file, maxFileBytes, diagnostics);
    if (document) documents.push(document);
  }
  const tooLarge = revisionTooLarge(unreadInRevision);
  if (tooLarge) diagnostics.push(tooLarge);
  const read = (path: string): ReadResult => readFollowingLinks(byPath, path, maxFileBytes);
  return { documents: documents.sort((a, b) => byCodeUnit(a.path, b.path)), read, diagnostics };
}

/** Reports what must not be in one file of the revision into `diagnostics`; returns the file if it is a site document. */
function inspectFile(file: RevisionFile, maxFileBytes: number, diagnostics: Diagnostic[]): TextFile | undefined {
  const start: SourceLocation = { file: file.path, line: 1, column: 1 };
  const size = file.unread?.size ?? file.content.byteLength;
  if (file.unread || size > maxFileBytes) {
    diagnostics.push(diagnostic('FileTooLarge', `file is ${size} bytes; the limit is ${file.unread?.limit ?? maxFileBytes}`, { location: start }));
    return undefined;
  }
  if (file.type === 'symlink') {
    const target = utf8.decode(file.content);
    if (symlinkTarget(file.path, target) === null) {
      diagnostics.push(
        diagnostic('SymlinkOutsideRepository', `symbolic link points outside the repository (to "${target}"); the controller reads nothing outside the revision`, { location: start }),
      );
    }
    return undefined;
  }
  diagnostics.push(...privateKeys(file.path, file.content));
  if (!isDocumentPath(file.path)) return undefined;
  const decoded = decodeUtf8Strict(file.content);
  if (decoded.ok) return { path: file.path, text: decoded.text };
  diagnostics.push(invalidUtf8({ file: file.path, line: decoded.line, column: decoded.column }, `document is not valid UTF-8: ${decoded.reason}`));
  return undefined;
}

function readFollowingLinks(byPath: ReadonlyMap<string, RevisionFile>, path: string, maxFileBytes: number): ReadResult {
  let current = path;
  for (let hop = 0; hop <= MAX_SYMLINK_HOPS; hop++) {
    const file = byPath.get(current);
    if (!file) return { ok: false, reason: 'missing' };
    if (file.unread || file.content.byteLength > maxFileBytes) return { ok: false, reason: 'too-large' };
    if (file.type !== 'symlink') {
      const decoded = decodeUtf8Strict(file.content);
      if (!decoded.ok) return { ok: false, reason: 'invalid-utf8', at: { file: current, line: decoded.line, column: decoded.column }, detail: decoded.reason };
      return { ok: true, path: current, text: decoded.text };
    }
    const next = symlinkTarget(current, utf8.decode(file.content));
    if (next === null) return { ok: false, reason: 'outside' };
    current = next;
  }
  return { ok: false, reason: 'loop' };
}

/** One diagnostic for the whole revision, at its largest file: the first place to look for what to drop. */
function revisionTooLarge(unread: readonly RevisionFile[]): Diagnostic | null {
  if (unread.length === 0) return null;
  let total = 0;
  let largest = unread[0]!;
  for (const file of unread) {
    total += file.unread!.size;
    if (file.unread!.size > largest.unread!.size) largest = file;
  }
  return diagnostic(
    'RevisionTooLarge',
    `the revision's ${unread.length} files add up to ${total} bytes; the limit is ${largest.unread!.limit}, so none was read (this is the largest, ${largest.unread!.size} bytes)`,
    { location: { file: largest.path, line: 1, column: 1 } },
  );
}

function symlinkTarget(link: string, target: string): string | null {
  return joinRepoPath(dirname(link), target);
}

/** Templates may be written in YAML too; a `templates` directory says "not a document". */
function isDocumentPath(path: string): boolean {
  if (!/\.ya?ml$/.test(path)) return false;
  return !path.split('/').slice(0, -1).includes('templates');
}

/**
 * Every reading of the file is scanned (UTF-8, and UTF-16/32 when the bytes say so), so a key saved by an
 * editor in UTF-16 is found like any other.
 */
function privateKeys(file: string, content: Uint8Array): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { encoding, text } of scanDecodings(content)) {
    for (const found of findPrivateKeyMaterial(text)) {
      const what = encoding === 'utf-8' ? found.what : `${found.what}, in ${encoding.toUpperCase()} text`;
      out.push(privateKeyDiagnostic(what, locationIn(file, text, found.index)));
    }
  }
  return out;
}

export function invalidUtf8(location: SourceLocation, message: string): Diagnostic {
  return diagnostic('InvalidUtf8', `${message}; documents and templates must be UTF-8 text (ship binary content with "contentBase64")`, { location });
}

function locationIn(file: string, text: string, index: number): SourceLocation {
  const before = text.slice(0, index);
  return { file, line: before.split('\n').length, column: index - before.lastIndexOf('\n') };
}

