/**
 * The file kind: a file with its content (text rendered from a template, or exact bytes), mode and owner.
 */
import { canonicalJson } from '../../controller/model/canonical-json.js';
import { sha256 } from '../../controller/model/sha256.js';
import type { NodeKind } from '../kind.js';
import { recordedWhileWritten } from '../ownership.js';
import { fileDetails } from './details.js';
import { diffFile } from './diff.js';
import { fileProbe } from './probe.js';
import { renderFile } from './render.js';
import { type DesiredBinaryFile, type DesiredFile, type DesiredTextFile, type FileDoc, FileResource, ObservedFile } from './schema.js';

/** Whether a spec has exactly these members, as resolve builds it: then it can be rebuilt from them. */
function hasExactly(spec: object, keys: readonly string[]): boolean {
  return Object.keys(spec).length === keys.length && keys.every((k) => Object.hasOwn(spec, k));
}

const FILE_KEYS = ['kind', 'path', 'content', 'sha256', 'mode', 'owner', 'group'];

/**
 * A file's content (text or bytes) is already summarised by its sha256; hashing it again would double the
 * work on large sites. The same bytes given either way hash alike, so switching to contentBase64 is no change.
 */
function fileHash(spec: DesiredFile): string {
  // Most resources are files: rebuilt with their members in key order, canonicalJson writes them natively (same bytes).
  if (hasExactly(spec, FILE_KEYS)) {
    const { group, kind, mode, owner, path, sha256: contentHash } = spec;
    return sha256(canonicalJson({ group, kind, mode, owner, path, sha256: contentHash }));
  }
  // Rest destructuring, not delete: a deleted key turns the copy into a slow dictionary-mode object.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { content, contentBase64, ...rest } = spec as Partial<DesiredTextFile & DesiredBinaryFile>;
  return sha256(canonicalJson(rest));
}

export const fileKind: NodeKind<FileDoc, DesiredFile, ObservedFile> = {
  kind: 'file',
  target: 'node',
  schema: () => FileResource,
  observedSchema: ObservedFile,
  identity: { of: (f) => ({ value: f.path, field: ['path'] }), ofSpec: (f) => f.path },
  paths: (f) => [{ path: f.path, field: ['path'] }],
  checks(f, report) {
    if ([f.content, f.template, f.contentBase64].filter((c) => c !== undefined).length !== 1) {
      report([], 'SchemaViolation', 'a file needs exactly one of "content", "template" or "contentBase64"');
    }
  },
  repositoryFiles: (f) => (f.template === undefined ? [] : [{ name: f.template, field: ['template'] }]),
  render: renderFile,
  order: { role: 'content', paths: (f) => [f.path], deletes: 'content', rank: 1 },
  hash: fileHash,
  diff: diffFile,
  details: fileDetails,
  probe: fileProbe,
  ownership: recordedWhileWritten,
};
