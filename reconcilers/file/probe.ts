/**
 * Observing a file: whether it is a regular file (a symbolic link or anything else at the path is `other`,
 * never followed), its sha256, mode, owner, group and size.
 */
import { field, flag, ownership, SHA256, statFields } from '../probe/answer-fields.js';
import type { NodeProbe, ProbeRequest } from '../kind.js';
import type { DesiredFile, ObservedFile } from './schema.js';

function parse(request: ProbeRequest, answer: readonly string[]): ObservedFile {
  const path = request.args[0] ?? '';
  if (answer[0] === 'other') return { kind: 'file', path, exists: true };
  if (!flag(request, answer[0])) return { kind: 'file', path, exists: false };
  const sha256 = field(answer, 1);
  const [mode, owner, group, size] = statFields(answer[2]);
  return {
    kind: 'file',
    path,
    exists: true,
    ...(sha256 !== undefined && SHA256.test(sha256) ? { sha256 } : {}),
    ...(size !== undefined && /^\d+$/.test(size) ? { size: Number(size) } : {}),
    ...ownership(mode, owner, group),
  };
}

export const fileProbe: NodeProbe<DesiredFile, ObservedFile> = {
  arms: {
    file: `if [ -L "$a" ] || { [ -e "$a" ] && [ ! -f "$a" ]; }; then record R "$i" other
    elif [ -f "$a" ]; then hash "$a"; st "$a"; record R "$i" 1 "$h_v" "$st_v"
    else record R "$i" 0; fi`,
  },
  prefetch: { file: 'prefetch "$a" hash' },
  requests: (spec) => [{ tag: 'file', args: [spec.path] }],
  requestsForIdentity: (path) => [{ tag: 'file', args: [path] }],
  parse,
};
