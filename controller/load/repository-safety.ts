/**
 * Checks on the repository as a set of files, before any YAML is read: things that must never be in a site
 * repository (private keys, links out of it, huge files), and which files are site documents at all.
 */
import type { Diagnostic, SourceLocation } from '../spec/diagnostic.js';
import { DEFAULT_READ_LIMITS, type RevisionFile } from '../source/revision.js';
import { dirname, joinRepoPath } from './repository-path.js';

export const DEFAULT_MAX_FILE_BYTES = DEFAULT_READ_LIMITS.fileBytes;
/** Chains longer than this are either a loop or not worth following. */
const MAX_SYMLINK_HOPS = 8;

const PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/g;

export interface TextFile {
  path: string;
  text: string;
}

export type ReadResult = { ok: true; path: string; text: string } | { ok: false; reason: 'missing' | 'outside' | 'too-large' | 'loop' };

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
  const decoder = new TextDecoder('utf-8');

  const unreadInRevision: RevisionFile[] = [];
  for (const file of files) {
    if (file.path === '.git' || file.path.startsWith('.git/')) continue;
    byPath.set(file.path, file);
    const start: SourceLocation = { file: file.path, line: 1, column: 1 };
    if (file.unread?.over === 'revision') {
      unreadInRevision.push(file);
      continue;
    }
    const size = file.unread?.size ?? file.content.byteLength;
    if (file.unread || size > maxFileBytes) {
      diagnostics.push({
        severity: 'error',
        code: 'FileTooLarge',
        message: `file is ${size} bytes; the limit is ${file.unread?.limit ?? maxFileBytes}`,
        location: start,
      });
      continue;
    }
    if (file.type === 'symlink') {
      const target = decoder.decode(file.content);
      if (symlinkTarget(file.path, target) === null) {
        diagnostics.push({
          severity: 'error',
          code: 'SymlinkOutsideRepository',
          message: `symbolic link points outside the repository (to "${target}"); the controller reads nothing outside the revision`,
          location: start,
        });
      }
      continue;
    }
    const text = decoder.decode(file.content);
    diagnostics.push(...privateKeys(file.path, text));
    if (isDocumentPath(file.path)) documents.push({ path: file.path, text });
  }

  const tooLarge = revisionTooLarge(unreadInRevision);
  if (tooLarge) diagnostics.push(tooLarge);

  const read = (path: string): ReadResult => {
    let current = path;
    for (let hop = 0; hop <= MAX_SYMLINK_HOPS; hop++) {
      const file = byPath.get(current);
      if (!file) return { ok: false, reason: 'missing' };
      if (file.unread || file.content.byteLength > maxFileBytes) return { ok: false, reason: 'too-large' };
      if (file.type !== 'symlink') {
        return { ok: true, path: current, text: decoder.decode(file.content) };
      }
      const next = symlinkTarget(current, decoder.decode(file.content));
      if (next === null) return { ok: false, reason: 'outside' };
      current = next;
    }
    return { ok: false, reason: 'loop' };
  };

  return { documents: documents.sort((a, b) => compare(a.path, b.path)), read, diagnostics };
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
  return {
    severity: 'error',
    code: 'RevisionTooLarge',
    message: `the revision's ${unread.length} files add up to ${total} bytes; the limit is ${largest.unread!.limit}, so none was read (this is the largest, ${largest.unread!.size} bytes)`,
    location: { file: largest.path, line: 1, column: 1 },
  };
}

function symlinkTarget(link: string, target: string): string | null {
  return joinRepoPath(dirname(link), target);
}

/** Templates may be written in YAML too; a `templates` directory says "not a document". */
function isDocumentPath(path: string): boolean {
  if (!/\.ya?ml$/.test(path)) return false;
  return !path.split('/').slice(0, -1).includes('templates');
}

function privateKeys(file: string, text: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const match of text.matchAll(PRIVATE_KEY)) {
    const before = text.slice(0, match.index);
    const line = before.split('\n').length;
    const column = match.index - before.lastIndexOf('\n');
    out.push({
      severity: 'error',
      code: 'PrivateKeyMaterial',
      message: 'private key material in the repository: keys stay on the nodes and in the controller\'s secret store, never in Git (remove it and rotate the key)',
      location: { file, line, column },
    });
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
