/**
 * The one script every observation runs on a node (`sh -c PROBE_SCRIPT underlay-probe`, requests on
 * stdin). It is a constant: node values reach it only as request lines, which it reads with `read -r`
 * and uses inside double quotes. The single exception is the `unless` guard, an argv the controller
 * quoted with shell-quote.ts (every element single-quoted) and base64-encoded, so that a guard argument
 * containing a line break cannot break the line protocol; only that string is evaluated.
 *
 * Output, version 2: records of length-prefixed fields (framed-output.ts), so that no value found on the
 * node (a hostname with a line break, a user name, a status line) can forge another record or field:
 *   underlay-probe 2                  first: the format version
 *   F <fact> <value>                  facts
 *   A <line of `ip -o addr`>          global addresses
 *   M record|prev present <base64> | M record|prev absent|unreadable
 *                                     the node's managed record and the copy kept before its last update
 *   R <index> <fields...>             the answer to request <index> (0-based, in stdin order)
 *   end <requests read>               last: the probe finished
 * A field that could not be read is `-`. A file's stat is `mode:owner:group:size` (account names cannot hold
 * a colon). A service answer ends with (path, mode, base64 content) per definition file, so the controller
 * hashes them exactly as the renderer does (service/definition.ts); content that could not be read is `!`.
 * A command's `run` answer is what `run_state` found of its tracked run (command/run-marker.ts).
 */
import { FRAME_FUNCTIONS } from '../framed-output.js';
import { COMMAND_RUNS_DIR, RUN_STATE_FUNCTIONS } from '../command/run-marker.js';
import { MANAGED_RECORD_PATH, PREVIOUS_RECORD_PATH, RECORD_COPY_FUNCTION } from '../managed-record-format.js';

export const PROBE_FORMAT = 'underlay-probe';
export const PROBE_FORMAT_VERSION = '2';

export const PROBE_SCRIPT = `set -u
# Fields are framed by their length in bytes; the site's guards still run in the session's locale.
if [ "\${LC_ALL+set}" = set ]; then session_lc_all=$LC_ALL; fi
export LC_ALL=C
exec 3<&0 </dev/null
tab=$(printf '\\t')
${FRAME_FUNCTIONS}${RUN_STATE_FUNCTIONS}
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
st() { s=$(stat -c '%a:%U:%G:%s' -- "$1" 2>/dev/null) || s=-; printf '%s' "$s"; }
deffile() { m=$(stat -c '%a' -- "$1" 2>/dev/null) || m=-; c=$(base64 -w0 < "$1" 2>/dev/null) || c='!'; frame "$1" "$m" "$c"; }
hash() { h=$(sha256sum < "$1" 2>/dev/null) || h=-; printf '%s' "\${h%% *}"; }
i=0
while IFS="$tab" read -r kind a b <&3; do
  case $kind in
  file)
    if [ -L "$a" ] || { [ -e "$a" ] && [ ! -f "$a" ]; }; then record R "$i" other
    elif [ -f "$a" ]; then record R "$i" 1 "$(hash "$a")" "$(st "$a")"
    else record R "$i" 0; fi ;;
  directory)
    if [ -d "$a" ] && [ ! -L "$a" ]; then record R "$i" 1 "$(st "$a")"
    elif [ -e "$a" ] || [ -L "$a" ]; then record R "$i" other
    else record R "$i" 0; fi ;;
  service)
    if [ "$b" = systemd ]; then
      u=/etc/systemd/system/$a.service
      ex=0; if [ -f "$u" ]; then ex=1; fi
      act=$(systemctl is-active "$a.service" 2>/dev/null) || true
      en=$(systemctl is-enabled "$a.service" 2>/dev/null) || true
      pid=$(systemctl show -p MainPID --value "$a.service" 2>/dev/null) || true
    else
      d=/etc/sv/$a
      ex=0; if [ -f "$d/run" ]; then ex=1; fi
      en=0; if [ -L "/etc/service/$a" ]; then en=1; fi
      act=; pid=
      if [ -e "/etc/service/$a/supervise/ok" ]; then
        act=$(sv status "/etc/service/$a" 2>/dev/null) || true
        pid=$(printf '%s\\n' "$act" | sed -n 's/^run: [^(]*(pid \\([0-9][0-9]*\\)).*/\\1/p')
        act=\${act%%:*}
      fi
    fi
    frame_begin R; frame "$i" "$ex" "\${act:--}" "\${en:--}" "\${pid:--}"
    if [ "$b" = systemd ]; then
      if [ "$ex" = 1 ]; then deffile "$u"; fi
    else
      if [ "$ex" = 1 ]; then deffile "$d/run"; fi
      if [ -f "$d/finish" ]; then deffile "$d/finish"; fi
    fi
    frame_end ;;
  creates)
    if [ -e "$b" ] || [ -L "$b" ]; then record R "$i" 1; else record R "$i" 0; fi ;;
  unless)
    c=$(printf '%s' "$b" | base64 -d) && (
      if [ "\${session_lc_all+set}" = set ]; then LC_ALL=$session_lc_all; else unset LC_ALL; fi
      exec timeout 60 sh -c "$c"
    ) >/dev/null 2>&1 3<&-
    record R "$i" "$?" ;;
  run)
    run_state ${COMMAND_RUNS_DIR} "$a"
    record R "$i" "$rs_state" "$rs_marker" "$rs_code" "$rs_why" ;;
  certificate)
    if [ -f "$b" ]; then
      na=- fp=-
      if command -v openssl >/dev/null 2>&1; then
        na=$(openssl x509 -in "$b" -noout -enddate 2>/dev/null) && na=\${na#notAfter=} || na=-
        fp=$(openssl x509 -in "$b" -noout -fingerprint -sha256 2>/dev/null) && fp=\${fp#*=} || fp=-
      fi
      record R "$i" 1 "$na" "$fp"
    elif [ -e "$b" ]; then record R "$i" other
    else record R "$i" 0; fi ;;
  *) record R "$i" unknown ;;
  esac
  i=$((i + 1))
done
record end "$i"
`;

/** $0 of the probe, so `ps` on a node names it. */
export const PROBE_NAME = 'underlay-probe';

export const PROBE_ARGV: readonly string[] = ['sh', '-c', PROBE_SCRIPT, PROBE_NAME];
