/**
 * The symlink kind: a symbolic link with its target and owner. Observed without following it (lstat,
 * readlink); written atomically (apply.ts); pruned when underlay made it.
 */
import type { Change } from '../../controller/model/change.js';
import { str } from '../details-support.js';
import type { ChangeDetails, NodeKind, NodeProbe, ProbeRequest } from '../kind.js';
import { recordedWhileWritten } from '../ownership.js';
import { flag, ownership, statFields } from '../probe/answer-fields.js';
import { diffSymlink } from './diff.js';
import { type DesiredSymlink, ObservedSymlink, type SymlinkDoc, SymlinkResource } from './schema.js';

function parse(request: ProbeRequest, answer: readonly string[]): ObservedSymlink {
  const path = request.args[0] ?? '';
  if (answer[0] === 'other') return { kind: 'symlink', path, exists: true };
  if (!flag(request, answer[0])) return { kind: 'symlink', path, exists: false };
  const [, owner, group] = statFields(answer[2]);
  return { kind: 'symlink', path, exists: true, target: answer[1] ?? '', ...ownership(undefined, owner, group) };
}

/** Anything but a symbolic link at the path is `other`; a link is never followed (`st` is lstat). */
const symlinkProbe: NodeProbe<DesiredSymlink, ObservedSymlink> = {
  arms: {
    symlink: `if [ -L "$a" ]; then st "$a"; record R "$i" 1 "$(readlink -- "$a")" "$st_v"
    elif [ -e "$a" ]; then record R "$i" other
    else record R "$i" 0; fi`,
  },
  prefetch: { symlink: 'prefetch "$a"' },
  requests: (spec) => [{ tag: 'symlink', args: [spec.path] }],
  requestsForIdentity: (path) => [{ tag: 'symlink', args: [path] }],
  parse,
};

const linkLine = (r: Record<string, unknown>): string => `-> ${str(r.target) ?? '(not a symbolic link)'}, owner ${str(r.owner) ?? '?'}:${str(r.group) ?? '?'}`;

function symlinkDetails(c: Change): ChangeDetails {
  if (c.after && c.before && c.before.target !== c.after.target) {
    return { attributes: [`target ${str(c.before.target) ?? '(not a symbolic link)'} -> ${str(c.after.target) ?? '?'}`, linkLine(c.after)], content: [] };
  }
  const shown = c.after ?? c.before;
  return { attributes: shown ? [linkLine(shown)] : [], content: [] };
}

export const symlinkKind: NodeKind<SymlinkDoc, DesiredSymlink, ObservedSymlink> = {
  kind: 'symlink',
  target: 'node',
  schema: () => SymlinkResource,
  observedSchema: ObservedSymlink,
  identity: { of: (l) => ({ value: l.path, field: ['path'] }), ofSpec: (l) => l.path },
  paths: (l) => [{ path: l.path, field: ['path'] }],
  render(l, ctx) {
    const path = ctx.path(l.path, ['path']);
    if (path === null) return null;
    return { kind: 'symlink', path, target: l.target, owner: l.owner, group: l.group };
  },
  order: { role: 'content', paths: (l) => [l.path], deletes: 'content', rank: 1 },
  diff: diffSymlink,
  details: symlinkDetails,
  probe: symlinkProbe,
  ownership: recordedWhileWritten,
};
