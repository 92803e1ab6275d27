/**
 * The one script every observation runs on a node (`sh -c SCRIPT underlay-probe`, requests on stdin),
 * assembled from the kinds' probe facets: a prelude that reports facts and the managed record, then one
 * `case` arm per request tag, each kind's own (reconcilers/<kind>/). It is a constant per registry: node
 * values reach it only as request lines (`tag \t a \t b`), which it reads with `read -r` and uses inside
 * double quotes. The single exception is the command's `unless` guard, an argv the controller quoted with
 * shell-quote.ts (every element single-quoted) and base64-encoded, so that a guard argument containing a
 * line break cannot break the line protocol; only that string is evaluated.
 *
 * Output, version 2: records of length-prefixed fields (framed-output.ts), so that no value found on the
 * node (a hostname with a line break, a user name, a status line) can forge another record or field:
 *   underlay-probe 2                  first: the format version
 *   F <fact> <value>                  facts
 *   A <line of `ip -o addr`>          global addresses
 *   M record|prev present <base64> | M record|prev absent|unreadable
 *                                     the node's managed record and the copy kept before its last update
 *   R <index> <fields...>             the answer to request <index> (0-based, in stdin order): its kind's
 *   end <requests read>               last: the probe finished
 * A field that could not be read is `-`; a request tag no arm knows is answered `unknown`. `st PATH` gives
 * any arm `mode:owner:group:size` (account names cannot hold a colon).
 */
import { FRAME_FUNCTIONS } from '../framed-output.js';
import type { NodeKind } from '../kind.js';
import { MANAGED_RECORD_PATH, PREVIOUS_RECORD_PATH, RECORD_COPY_FUNCTION } from '../managed-record-format.js';

export const PROBE_FORMAT = 'underlay-probe';
export const PROBE_FORMAT_VERSION = '2';

function assemble(kinds: readonly NodeKind[]): string {
  const arms: string[] = [];
  const tags = new Set<string>();
  for (const kind of kinds) {
    for (const [tag, body] of Object.entries(kind.probe.arms)) {
      if (tags.has(tag)) throw new Error(`probe request tag ${tag} of kind ${kind.kind} is taken by another kind`);
      tags.add(tag);
      arms.push(`  ${tag})\n    ${body} ;;\n`);
    }
  }
  const functions = kinds.map((k) => k.probe.functions ?? '').join('');
  return `set -u
# Fields are framed by their length in bytes; the site's guards still run in the session's locale.
if [ "\${LC_ALL+set}" = set ]; then session_lc_all=$LC_ALL; fi
export LC_ALL=C
exec 3<&0 </dev/null
tab=$(printf '\\t')
${FRAME_FUNCTIONS}
record ${PROBE_FORMAT} ${PROBE_FORMAT_VERSION}
# The hostname exactly, line breaks included: uname ends it with one, the x keeps $(...) from eating more.
h=$(uname -n; printf x); h=\${h%?x}
record F hostname "$h"
record F arch "$(uname -m)"
record F kernel "$(uname -r)"
if [ -r /etc/os-release ]; then
  record F os-id "$(sed -n 's/^ID=//p' /etc/os-release | head -n 1)"
  record F os-version "$(sed -n 's/^VERSION_ID=//p' /etc/os-release | head -n 1)"
fi
if [ -d /run/systemd/system ]; then sm=systemd
elif [ -d /etc/service ] || pgrep -x runsvdir >/dev/null 2>&1; then sm=runit
else sm=unknown; fi
record F service-manager "$sm"
if command -v ip >/dev/null 2>&1; then
  ip -o addr show scope global 2>/dev/null | while IFS= read -r l; do record A "$l"; done
fi
${RECORD_COPY_FUNCTION}record_copy record ${MANAGED_RECORD_PATH}
record_copy prev ${PREVIOUS_RECORD_PATH}
# st PATH: mode:owner:group:size of PATH itself (never followed), or -
st() { s=$(stat -c '%a:%U:%G:%s' -- "$1" 2>/dev/null) || s=-; printf '%s' "$s"; }
${functions}i=0
while IFS="$tab" read -r tag a b <&3; do
  case $tag in
${arms.join('')}  *) record R "$i" unknown ;;
  esac
  i=$((i + 1))
done
record end "$i"
`;
}

const scripts = new WeakMap<readonly NodeKind[], string>();

/** The probe script for these kinds (a constant per registry: node values reach it only as request lines). */
export function probeScript(kinds: readonly NodeKind[]): string {
  let script = scripts.get(kinds);
  if (script === undefined) scripts.set(kinds, (script = assemble(kinds)));
  return script;
}

/** $0 of the probe, so `ps` on a node names it. */
export const PROBE_NAME = 'underlay-probe';

export const probeArgv = (kinds: readonly NodeKind[]): readonly string[] => ['sh', '-c', probeScript(kinds), PROBE_NAME];
