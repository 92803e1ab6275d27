/**
 * Observing a secret file: whether a regular file is at the path (a symbolic link or anything else is
 * `other`, never followed), its mode and owner, and whether its content is the secret's: the node computes
 * the HMAC under the key observe derived for it and this path (sent on stdin with the request), and parse
 * compares it with the keyed digest of the store's value, which is never sent. The node also answers with
 * the mark underlay's last write of the file left (secret-mark.ts), which parse compares with the same
 * digest: whether the store changed since. The inventory keeps only the verdicts.
 */
import { field, flag, ownership, statFields } from '../probe/answer-fields.js';
import type { NodeProbe, ProbeAsk, ProbeNode, ProbeRequest } from '../kind.js';
import { hmacPads, KEYED_DIGEST_FUNCTION } from './keyed-digest-script.js';
import { markName, READ_MARK_FUNCTION, storeSinceWrite } from './secret-mark.js';
import type { DesiredSecretFile, ObservedSecretFile } from './schema.js';

function parse(request: ProbeRequest, answer: readonly string[]): ObservedSecretFile {
  const path = request.args[0] ?? '';
  if (answer[0] === 'other') return { kind: 'secretFile', path, exists: true };
  if (!flag(request, answer[0])) return { kind: 'secretFile', path, exists: false };
  const digest = field(answer, 1);
  const [mode, owner, group] = statFields(answer[2]);
  const content = request.expect === undefined || digest === undefined ? 'unknown' : digest === request.expect ? 'current' : 'differs';
  const since = storeSinceWrite(field(answer, 3), request.expect);
  return { kind: 'secretFile', path, exists: true, ...ownership(mode, owner, group), content, ...(since === undefined ? {} : { storeSinceWrite: since }) };
}

function requests(spec: DesiredSecretFile, node: ProbeNode): ProbeAsk[] {
  const probeKey = node.secretKeys?.({ secret: spec.secret, scope: spec.path });
  // Without the store's digest there is nothing to compare with: the key is not sent either.
  if (probeKey?.expected === undefined) return [{ tag: 'secretFile', args: [spec.path] }];
  return [{ tag: 'secretFile', args: [spec.path, hmacPads(probeKey.key), markName(spec.path)], expect: probeKey.expected }];
}

export const secretFileProbe: NodeProbe<DesiredSecretFile, ObservedSecretFile> = {
  functions: KEYED_DIGEST_FUNCTION + READ_MARK_FUNCTION,
  arms: {
    // $b: the key's two blocks, a tab, the mark's name.
    secretFile: `if [ -L "$a" ] || { [ -e "$a" ] && [ ! -f "$a" ]; }; then record R "$i" other
    elif [ -f "$a" ]; then
      sf_d=- mk_v=-
      if [ -n "$b" ]; then
        sf_k=\${b%%"$tab"*} sf_n=\${b#*"$tab"}
        sf_d=$(keyed_digest "$a" "\${sf_k%% *}" "\${sf_k#* }") || sf_d=-
        read_mark "$sf_n"
      fi
      st "$a"; record R "$i" 1 "$sf_d" "$st_v" "$mk_v"
    else record R "$i" 0; fi`,
  },
  prefetch: { secretFile: 'prefetch "$a"' },
  requests,
  secrets: (spec) => [{ secret: spec.secret, scope: spec.path }],
  requestsForIdentity: (path) => [{ tag: 'secretFile', args: [path] }],
  parse,
};
