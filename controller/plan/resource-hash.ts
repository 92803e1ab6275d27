/**
 * The hash recorded in a node's managed list when a resource is applied, and compared at plan time: a
 * command without guards runs again when it differs, and any resource's takeover is judged by it.
 * Apply must record exactly this value, so it lives here, next to the planner that compares it.
 */
import type { NodeResourceSpec } from '../resolve/desired.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';

export function resourceHash(spec: NodeResourceSpec): string {
  // A file's content is already summarised by its sha256; hashing it again would double the work on large sites.
  if (spec.kind === 'file') {
    // Rest destructuring, not delete: a deleted key turns the copy into a slow dictionary-mode object.
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { content, ...rest } = spec;
    return sha256Hex(canonicalJson(rest));
  }
  return sha256Hex(canonicalJson(spec));
}
