/**
 * The hash recorded in a node's managed list when a resource is applied, and compared at plan time: a
 * command without guards runs again when it differs, and any resource's takeover is judged by it.
 * Apply must record exactly this value, so it lives here, next to the planner that compares it.
 */
import type { DesiredBinaryFile, DesiredTextFile, NodeResourceSpec } from '../resolve/desired.js';
import { canonicalJson } from '../model/canonical-json.js';
import { sha256 } from '../model/sha256.js';

/** Whether a spec has exactly these members, as resolve builds it: then it can be rebuilt from them. */
function hasExactly(spec: object, keys: readonly string[]): boolean {
  return Object.keys(spec).length === keys.length && keys.every((k) => Object.hasOwn(spec, k));
}

const FILE_KEYS = ['kind', 'path', 'content', 'sha256', 'mode', 'owner', 'group'];
const DIRECTORY_KEYS = ['kind', 'path', 'mode', 'owner', 'group'];

export function resourceHash(spec: NodeResourceSpec): string {
  // Files and directories are most resources: rebuilt with their members in key order, canonicalJson writes
  // them natively (same bytes). Any other shape takes the general path.
  if (spec.kind === 'file') {
    // A file's content (text or bytes) is already summarised by its sha256; hashing it again would double the
    // work on large sites. The same bytes given either way hash alike, so switching to contentBase64 is no change.
    if (hasExactly(spec, FILE_KEYS)) {
      const { group, kind, mode, owner, path, sha256: contentHash } = spec;
      return sha256(canonicalJson({ group, kind, mode, owner, path, sha256: contentHash }));
    }
    // Rest destructuring, not delete: a deleted key turns the copy into a slow dictionary-mode object.
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { content, contentBase64, ...rest } = spec as Partial<DesiredTextFile & DesiredBinaryFile>;
    return sha256(canonicalJson(rest));
  }
  if (spec.kind === 'directory' && hasExactly(spec, DIRECTORY_KEYS)) {
    const { group, kind, mode, owner, path } = spec;
    return sha256(canonicalJson({ group, kind, mode, owner, path }));
  }
  return sha256(canonicalJson(spec));
}
