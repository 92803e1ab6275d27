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
 * A field that could not be read is `-`; a request tag no arm knows is answered `unknown`. `st PATH` sets
 * `st_v` to `mode:owner:group:size` (account names cannot hold a colon) for any arm, `hash PATH` sets `h_v`
 * to the sha256 of its content.
 *
 * Processes are what a probe costs a node (a fork and an exec each, on a machine the controller shares with
 * its workloads), so the script runs as few as it can. The requests come twice on stdin (build-probe.ts):
 * a first pass over the first copy, up to the empty line that ends it, collects the paths the kinds'
 * `prefetch` snippets name; one `stat` reads them all and one `sha256sum` hashes the regular files among
 * them; the second copy is answered, `st` and `hash` taking their answers from those batches. A path a batch
 * has no answer for (gone or changed since, unreadable, or one it leaves out) is looked at alone. No `$(...)`
 * around a shell function either: each is a fork. (Sent twice, the requests need no buffering in the shell,
 * whose string appends are quadratic.)
 */
import { FRAME_FUNCTIONS } from '../framed-output.js';
import type { NodeKind } from '../kind.js';
import { MANAGED_RECORD_PATH, PREVIOUS_RECORD_PATH, RECORD_COPY_FUNCTION } from '../managed-record-format.js';

export const PROBE_FORMAT = 'underlay-probe';
export const PROBE_FORMAT_VERSION = '2';

/**
 * The prefetch (see above): `prefetch PATH [hash]` during the first pass; `pf_take st|h PATH` sets `pf_v` to
 * PATH's answer from its batch. Both batches print their lines in argument order, so the answers are taken
 * in request order with a cursor (pf_st, pf_h: what is left of each); a path with no line (its stat or read
 * failed) leaves the cursor where it was. Left out of the batches: paths that are not absolute (`-` is
 * standard input to both commands) or hold a backslash (sha256sum escapes such names), and what would pass
 * 64 KiB of arguments.
 */
const PREFETCH_FUNCTIONS = `pf_stl= pf_hl= pf_st= pf_h= pf_bytes=0
prefetch() {
  case $1 in /*) ;; *) return 0 ;; esac
  case $1 in *\\\\*) return 0 ;; esac
  pf_bytes=$((pf_bytes + \${#1} + 1))
  [ "$pf_bytes" -le 65536 ] || return 0
  pf_stl=$pf_stl$1$nl
  if [ "\${2-}" = hash ] && [ -f "$1" ] && [ ! -L "$1" ]; then pf_hl=$pf_hl$1$nl; fi
}
pf_take() {
  eval "pf_r=\\$pf_$1"
  while [ -n "$pf_r" ]; do
    pf_l=\${pf_r%%"$nl"*}; pf_r=\${pf_r#*"$nl"}
    if [ "$1" = st ]; then pf_n=\${pf_l#*:*:*:*:}; else pf_n=\${pf_l#*  }; fi
    if [ "$pf_n" = "$2" ]; then
      pf_v=\${pf_l%"$pf_n"}
      if [ "$1" = st ]; then pf_v=\${pf_v%:}; else pf_v=\${pf_v%  }; fi
      eval "pf_$1=\\$pf_r"
      return 0
    fi
  done
  return 1
}
`;

/** The node's facts (`F`) and global addresses (`A`): builtins where they do, one process where they do not. */
const FACTS = `# The hostname exactly, line breaks included: uname ends it with one, the x keeps $(...) from eating more.
h=$(uname -n; printf x); h=\${h%?x}
record F hostname "$h"
# In uname's own order whatever the flags' order: the release (no blank in it), then the machine.
u=$(uname -r -m)
record F arch "\${u##* }"
record F kernel "\${u% *}"
if [ -r /etc/os-release ]; then
  os_id= os_version= os_seen=
  while IFS= read -r l || [ -n "$l" ]; do
    case $l in
      ID=*) case $os_seen in *i*) ;; *) os_id=\${l#ID=}; os_seen=\${os_seen}i ;; esac ;;
      VERSION_ID=*) case $os_seen in *v*) ;; *) os_version=\${l#VERSION_ID=}; os_seen=\${os_seen}v ;; esac ;;
    esac
  done < /etc/os-release
  record F os-id "$os_id"
  record F os-version "$os_version"
fi
if [ -d /run/systemd/system ]; then sm=systemd
elif [ -d /etc/service ] || pgrep -x runsvdir >/dev/null 2>&1; then sm=runit
else sm=unknown; fi
record F service-manager "$sm"
if command -v ip >/dev/null 2>&1; then
  ip -o addr show scope global 2>/dev/null | while IFS= read -r l; do record A "$l"; done
fi
`;

function assemble(kinds: readonly NodeKind[]): string {
  const arms: string[] = [];
  const prefetches: string[] = [];
  const tags = new Set<string>();
  for (const kind of kinds) {
    for (const [tag, body] of Object.entries(kind.probe.arms)) {
      if (tags.has(tag)) throw new Error(`probe request tag ${tag} of kind ${kind.kind} is taken by another kind`);
      tags.add(tag);
      arms.push(`  ${tag})\n    ${body} ;;\n`);
    }
    for (const [tag, body] of Object.entries(kind.probe.prefetch ?? {})) {
      if (!(tag in kind.probe.arms)) throw new Error(`probe prefetch for tag ${tag} of kind ${kind.kind}, which has no such arm`);
      prefetches.push(`    ${tag}) ${body} ;;\n`);
    }
  }
  const functions = kinds.map((k) => k.probe.functions ?? '').join('');
  return `set -u
# Fields are framed by their length in bytes; the site's guards still run in the session's locale.
if [ "\${LC_ALL+set}" = set ]; then session_lc_all=$LC_ALL; fi
export LC_ALL=C
exec 3<&0 </dev/null
tab=$(printf '\\t')
nl='
'
${FRAME_FUNCTIONS}
record ${PROBE_FORMAT} ${PROBE_FORMAT_VERSION}
${FACTS}${RECORD_COPY_FUNCTION}record_copy record ${MANAGED_RECORD_PATH}
record_copy prev ${PREVIOUS_RECORD_PATH}
${PREFETCH_FUNCTIONS}# st PATH: st_v is mode:owner:group:size of PATH itself (never followed), or -
st() {
  if pf_take st "$1"; then st_v=$pf_v; return 0; fi
  st_v=$(stat -c '%a:%U:%G:%s' -- "$1" 2>/dev/null) || st_v=-
}
# hash PATH: h_v is the sha256 of PATH's content, or -
hash() {
  if pf_take h "$1"; then h_v=$pf_v; return 0; fi
  h_v=$(sha256sum < "$1" 2>/dev/null) || h_v=-; h_v=\${h_v%% *}
}
${functions}# First pass, over the first copy of the requests: what each will look at, named for the batches.
while IFS= read -r l <&3 && [ -n "$l" ]; do
  tag=\${l%%"$tab"*} a= b=
  case $l in *"$tab"*) a=\${l#*"$tab"}; case $a in *"$tab"*) b=\${a#*"$tab"}; a=\${a%%"$tab"*} ;; esac ;; esac
  case $tag in
${prefetches.join('')}  esac
done
if [ -n "$pf_stl" ]; then pf_st=$(IFS=$nl; set -f; stat -c '%a:%U:%G:%s:%n' -- $pf_stl 2>/dev/null)$nl; fi
if [ -n "$pf_hl" ]; then pf_h=$(IFS=$nl; set -f; sha256sum -- $pf_hl 2>/dev/null)$nl; fi
i=0
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
