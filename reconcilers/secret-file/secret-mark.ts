/**
 * The mark a secret file's write leaves on its node: the keyed digest of the value underlay wrote there. A
 * secret file's desired hash is that of its spec, which names the secret and not its value, so a secret
 * rotated in the store and a copy edited on the node look alike to the managed record. The mark tells them
 * apart: the store's digest differs from it after a rotation, and still equals it after an edit (ADR 0028).
 *
 * One file per secret file under /var/lib/underlay/secret-marks/, named by the sha256 of its path: the
 * site writes the path, so the name is no path the node could be led to. The mark is an HMAC under the
 * key derived for that node and path (controller/secrets/keyed-digest.ts), of a value the node holds
 * anyway, so it discloses nothing new. The probe answers with it like the copy's own digest, and parse
 * keeps only the verdict (storeSinceWrite), never the mark.
 */
import { sha256 } from '../../controller/model/sha256.js';
import { SHA256 } from '../probe/answer-fields.js';
import { NODE_STATE_DIR } from '../managed-record-format.js';

export const SECRET_MARKS_DIR = `${NODE_STATE_DIR}/secret-marks`;

/** The mark's file name under the marks directory. */
export const markName = (path: string): string => sha256(path);

/** Where a write leaves its marks; default SECRET_MARKS_DIR (tests use a temporary directory). */
export interface MarkPlace {
  marksDir?: string;
}

/**
 * sh: `write_mark DIR NAME DIGEST`, once the secret is in place and never before: a write cut short between
 * the two leaves the previous mark, which differs from the store, so the next plan delivers again instead of
 * holding a rotation back as drift. For the same reason the mark is not synced: one lost to a crash only
 * makes the next difference a delivery. Through a temporary file, so no reader sees half a mark.
 */
export const WRITE_MARK_FUNCTION = `write_mark() {
  [ -d "$1" ] || mkdir -p -m 0700 -- "$1"
  rm -f -- "$1/.$2".????????
  wm_t=$(mktemp -- "$1/.$2.XXXXXXXX")
  printf '%s\\n' "$3" > "$wm_t"
  mv -f -- "$wm_t" "$1/$2"
}
`;

/**
 * sh for the probe: `read_mark NAME` sets mk_v to the mark named NAME, or `-` when there is none (a file
 * written before marks were, or by hand) or it is no name a write gives. Builtins only: no process per file.
 */
export const READ_MARK_FUNCTION = `read_mark() {
  mk_v=-
  case $1 in '' | *[!0-9a-f]*) return 0 ;; esac
  [ -f "${SECRET_MARKS_DIR}/$1" ] || return 0
  IFS= read -r mk_v 2>/dev/null < "${SECRET_MARKS_DIR}/$1" || mk_v=-
}
`;

/**
 * Whether the store's value changed since underlay last wrote the file: the mark against the keyed digest of
 * the store's value now. Undefined without either, or when the mark is no keyed digest (not one a write left).
 */
export function storeSinceWrite(mark: string | undefined, expect: string | undefined): 'unchanged' | 'changed' | undefined {
  if (mark === undefined || expect === undefined || !SHA256.test(mark)) return undefined;
  return mark === expect ? 'unchanged' : 'changed';
}
