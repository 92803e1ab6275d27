/**
 * The directory kind: a directory with its mode and owner. What lies under it waits for it; deleting it
 * waits for what lies under it, and leaves it in place when something else is in it (apply.ts).
 */
import { canonicalJson } from '../../controller/model/canonical-json.js';
import { sha256 } from '../../controller/model/sha256.js';
import { ownershipLine } from '../details-support.js';
import { normaliseMode } from '../diff-support.js';
import type { NodeKind, NodeProbe, ProbeRequest } from '../kind.js';
import { recordedWhileWritten } from '../ownership.js';
import { flag, ownership, statFields } from '../probe/answer-fields.js';
import { diffDirectory } from './diff.js';
import { type DesiredDirectory, type DirectoryDoc, DirectoryResource, ObservedDirectory } from './schema.js';

const DIRECTORY_KEYS = ['kind', 'path', 'mode', 'owner', 'group'];

/** Rebuilt with its members in key order when it has exactly resolve's members, canonicalJson writes it natively (same bytes). */
function directoryHash(spec: DesiredDirectory): string {
  if (Object.keys(spec).length === DIRECTORY_KEYS.length && DIRECTORY_KEYS.every((k) => Object.hasOwn(spec, k))) {
    const { group, kind, mode, owner, path } = spec;
    return sha256(canonicalJson({ group, kind, mode, owner, path }));
  }
  return sha256(canonicalJson(spec));
}

function parse(request: ProbeRequest, answer: readonly string[]): ObservedDirectory {
  const path = request.args[0] ?? '';
  if (answer[0] === 'other') return { kind: 'directory', path, exists: true };
  if (!flag(request, answer[0])) return { kind: 'directory', path, exists: false };
  const [mode, owner, group] = statFields(answer[1]);
  return { kind: 'directory', path, exists: true, ...ownership(mode, owner, group) };
}

/** A symbolic link at the path is `other`: a directory is never observed through a link. */
const directoryProbe: NodeProbe<DesiredDirectory, ObservedDirectory> = {
  arms: {
    directory: `if [ -d "$a" ] && [ ! -L "$a" ]; then st "$a"; record R "$i" 1 "$st_v"
    elif [ -e "$a" ] || [ -L "$a" ]; then record R "$i" other
    else record R "$i" 0; fi`,
  },
  prefetch: { directory: 'prefetch "$a"' },
  requests: (spec) => [{ tag: 'directory', args: [spec.path] }],
  requestsForIdentity: (path) => [{ tag: 'directory', args: [path] }],
  parse,
};

export const directoryKind: NodeKind<DirectoryDoc, DesiredDirectory, ObservedDirectory> = {
  kind: 'directory',
  target: 'node',
  schema: () => DirectoryResource,
  observedSchema: ObservedDirectory,
  identity: { of: (d) => ({ value: d.path, field: ['path'] }), ofSpec: (d) => d.path },
  paths: (d) => [{ path: d.path, field: ['path'] }],
  render(d, ctx) {
    const path = ctx.path(d.path, ['path']);
    if (path === null) return null;
    return { kind: 'directory', path, mode: normaliseMode(d.mode), owner: d.owner, group: d.group };
  },
  order: { role: 'content', paths: (d) => [d.path], encloses: (d) => d.path, deletes: 'content', rank: 0 },
  hash: directoryHash,
  diff: diffDirectory,
  details: (c) => ({ attributes: c.after ? [ownershipLine(c.after)] : [], content: [] }),
  probe: directoryProbe,
  ownership: recordedWhileWritten,
};
