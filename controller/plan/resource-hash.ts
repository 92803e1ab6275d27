/**
 * The hash recorded in a node's managed list when a resource is applied, and compared at plan time: a
 * command without guards runs again when it differs, and any resource's takeover is judged by it.
 * Apply records exactly this value (from the plan), so it is computed here, next to the planner that
 * compares it: the kind's own hash when it has one (a file leaves out its content), else the sha256 of the
 * spec's canonical JSON.
 */
import type { ResourceSpec } from '../model/desired.js';
import { canonicalJson } from '../model/canonical-json.js';
import { sha256 } from '../model/sha256.js';
import type { NodeKind } from '../../reconcilers/kind.js';

export function resourceHash(kind: Pick<NodeKind, 'hash'>, spec: ResourceSpec): string {
  return kind.hash ? kind.hash(spec) : sha256(canonicalJson(spec));
}
