/**
 * The one script every observation runs on a node (`sh -c PROBE_SCRIPT underlay-probe`, requests on
 * stdin). It is a constant: node values reach it only as request lines, which it reads with `read -r`
 * and uses inside double quotes. The single exception is the `unless` guard, an argv the controller
 * quoted with shell-quote.ts (every element single-quoted) and base64-encoded, so that a guard argument
 * containing a line break cannot break the line protocol; only that string is evaluated.
 *
 * Output, one record per line, tab-separated:
 *   F <fact> <value>          facts
 *   A <line of `ip -o addr`>  global addresses
 *   M <base64 of managed.json> | M -   the node's managed record (absent: -)
 *   R <index> <fields...>     the answer to request <index> (0-based, in stdin order)
 * A field that could not be read is `-`. A service answer ends with (path, mode, base64 content) per definition
 * file, so the controller hashes them exactly as the renderer does (service/definition.ts).
 */
export const PROBE_SCRIPT = `set -u
exec 3<&0 </dev/null
tab=$(printf '\\t')
fact() { printf 'F\\t%s\\t%s\\n' "$1" "$2"; }
fact hostname "$(uname -n)"
fact arch "$(uname -m)"
fact kernel "$(uname -r)"
if [ -r /etc/os-release ]; then
  fact os-id "$(sed -n 's/^ID=//p' /etc/os-release | head -n 1)"
  fact os-version "$(sed -n 's/^VERSION_ID=//p' /etc/os-release | head -n 1)"
fi
if [ -d /run/systemd/system ]; then sm=systemd
elif [ -d /etc/service ] || pgrep -x runsvdir >/dev/null 2>&1; then sm=runit
else sm=unknown; fi
fact service-manager "$sm"
if command -v ip >/dev/null 2>&1; then
  ip -o addr show scope global 2>/dev/null | while IFS= read -r l; do printf 'A\\t%s\\n' "$l"; done
fi
m=/var/lib/underlay/managed.json
if [ -f "$m" ]; then printf 'M\\t'; base64 -w0 < "$m" || printf '!'; printf '\\n'; else printf 'M\\t-\\n'; fi
st() { s=$(stat -c '%a %U %G %s' -- "$1" 2>/dev/null) || s='- - - -'; printf '%s' "$s"; }
deffile() { m=$(stat -c '%a' -- "$1" 2>/dev/null) || m=-; printf '\\t%s\\t%s\\t' "$1" "$m"; base64 -w0 < "$1" 2>/dev/null || printf '!'; }
hash() { h=$(sha256sum < "$1" 2>/dev/null) || h=-; printf '%s' "\${h%% *}"; }
i=0
while IFS="$tab" read -r kind a b <&3; do
  case $kind in
  file)
    if [ -L "$a" ] || { [ -e "$a" ] && [ ! -f "$a" ]; }; then printf 'R\\t%s\\tother\\n' "$i"
    elif [ -f "$a" ]; then printf 'R\\t%s\\t1\\t%s\\t%s\\n' "$i" "$(hash "$a")" "$(st "$a")"
    else printf 'R\\t%s\\t0\\n' "$i"; fi ;;
  directory)
    if [ -d "$a" ] && [ ! -L "$a" ]; then printf 'R\\t%s\\t1\\t%s\\n' "$i" "$(st "$a")"
    elif [ -e "$a" ] || [ -L "$a" ]; then printf 'R\\t%s\\tother\\n' "$i"
    else printf 'R\\t%s\\t0\\n' "$i"; fi ;;
  service)
    defs=
    if [ "$b" = systemd ]; then
      u=/etc/systemd/system/$a.service
      ex=0; if [ -f "$u" ]; then ex=1; defs=$(deffile "$u"); fi
      act=$(systemctl is-active "$a.service" 2>/dev/null) || true
      en=$(systemctl is-enabled "$a.service" 2>/dev/null) || true
      pid=$(systemctl show -p MainPID --value "$a.service" 2>/dev/null) || true
    else
      d=/etc/sv/$a
      ex=0; if [ -f "$d/run" ]; then ex=1; defs=$(deffile "$d/run"); fi
      if [ -f "$d/finish" ]; then defs="$defs$(deffile "$d/finish")"; fi
      en=0; if [ -L "/etc/service/$a" ]; then en=1; fi
      act=; pid=
      if [ -e "/etc/service/$a/supervise/ok" ]; then
        act=$(sv status "/etc/service/$a" 2>/dev/null) || true
        pid=$(printf '%s\\n' "$act" | sed -n 's/^run: [^(]*(pid \\([0-9][0-9]*\\)).*/\\1/p')
        act=\${act%%:*}
      fi
    fi
    printf 'R\\t%s\\t%s\\t%s\\t%s\\t%s%s\\n' "$i" "$ex" "\${act:--}" "\${en:--}" "\${pid:--}" "$defs" ;;
  creates)
    if [ -e "$b" ] || [ -L "$b" ]; then printf 'R\\t%s\\t1\\n' "$i"; else printf 'R\\t%s\\t0\\n' "$i"; fi ;;
  unless)
    c=$(printf '%s' "$b" | base64 -d) && timeout 60 sh -c "$c" >/dev/null 2>&1
    printf 'R\\t%s\\t%s\\n' "$i" "$?" ;;
  certificate)
    if [ -f "$b" ]; then
      na=- fp=-
      if command -v openssl >/dev/null 2>&1; then
        na=$(openssl x509 -in "$b" -noout -enddate 2>/dev/null) && na=\${na#notAfter=} || na=-
        fp=$(openssl x509 -in "$b" -noout -fingerprint -sha256 2>/dev/null) && fp=\${fp#*=} || fp=-
      fi
      printf 'R\\t%s\\t1\\t%s\\t%s\\n' "$i" "$na" "$fp"
    elif [ -e "$b" ]; then printf 'R\\t%s\\tother\\n' "$i"
    else printf 'R\\t%s\\t0\\n' "$i"; fi ;;
  *) printf 'R\\t%s\\tunknown\\n' "$i" ;;
  esac
  i=$((i + 1))
done
`;

/** $0 of the probe, so `ps` on a node names it. */
export const PROBE_NAME = 'underlay-probe';

export const PROBE_ARGV: readonly string[] = ['sh', '-c', PROBE_SCRIPT, PROBE_NAME];
