/**
 * Atomic file replacement on a node, shared by every reconciler that writes files (files, service
 * definitions, the managed record). Content goes on stdin into a temporary file in the target's own
 * directory (same file system, so the final rename is atomic); it is synced, given its mode and owner,
 * and only then renamed over the target. A reader sees the old file or the new one, never a mix.
 *
 * The controller may die while content is still on its way: the node-side script then reads a short stdin
 * and would carry on, so it checks the sha256 it was given before renaming. A copy left behind by a write
 * that never reached the rename (node or script killed) is removed by the next write of the same file.
 */
import type { NodeApplyContext } from './kind-effects.js';
import { sha256 } from '../controller/model/sha256.js';
import { assertPlainValue, runScriptOk } from './node-exec.js';

/**
 * sh: `receive TMP SHA256 BYTES WHAT` copies stdin into TMP and exits 6 unless exactly the announced content
 * arrived, so a caller never renames a short copy into place. Used by every script that installs content
 * sent on stdin (files, service definitions, the managed record).
 */
export const RECEIVE_FUNCTION = `receive() {
  cat > "$1"
  got=$(sha256sum < "$1"); got=\${got%% *}
  if [ "$got" != "$2" ]; then
    echo "content for $4 arrived incomplete ($(wc -c < "$1") of $3 bytes, sha256 $got, expected $2): not installed" >&2
    exit 6
  fi
}
`;

/** What `receive` checks the content against. */
export function contentDigest(content: string | Uint8Array): { sha256: string; bytes: string } {
  return { sha256: sha256(content), bytes: String(typeof content === 'string' ? Buffer.byteLength(content) : content.length) };
}

const WRITE_SCRIPT = `set -eu
${RECEIVE_FUNCTION}target=$1 mode=$2 owner=$3 group=$4 mkparent=$5 sha=$6 bytes=$7 stage=$8
dir=$(dirname -- "$target")
base=$(basename -- "$target")
if [ "$stage" = commit ]; then
  mv -f -- "$9" "$target"
  sync -- "$dir" 2>/dev/null || true
  exit 0
fi
if [ "$mkparent" = 1 ]; then mkdir -p -- "$dir"; fi
if [ -d "$target" ] && [ ! -L "$target" ]; then echo "$target is a directory" >&2; exit 3; fi
rm -f -- "$dir/.underlay.$base".????????
tmp=$(mktemp -- "$dir/.underlay.$base.XXXXXXXX")
trap 'rm -f -- "$tmp"' EXIT
receive "$tmp" "$sha" "$bytes" "$target"
sync -- "$tmp"
chmod -- "$mode" "$tmp"
chown -- "$owner:$group" "$tmp"
if [ "$stage" = stage ]; then trap - EXIT; printf '%s\\n' "$tmp"; exit 0; fi
mv -f -- "$tmp" "$target"
trap - EXIT
sync -- "$dir" 2>/dev/null || true
`;

// Refuses directories: rm -f on one fails anyway, but the message should say what was found.
// The file first, then what goes with it (rm takes its arguments in order).
const REMOVE_SCRIPT = `set -eu
if [ -d "$1" ] && [ ! -L "$1" ]; then echo "$1 is a directory, not removed" >&2; exit 3; fi
rm -f -- "$@"
`;

export interface FileWrite {
  path: string;
  content: string | Uint8Array;
  mode: string;
  owner: string;
  group: string;
  /** Create missing parent directories (root-owned, umask mode); for files underlay itself keeps, not site files. */
  createParent?: boolean;
}

export async function writeFileAtomic(ctx: NodeApplyContext, file: FileWrite): Promise<void> {
  assertPlainValue(ctx.node.name, 'path', file.path);
  const digest = contentDigest(file.content);
  const args = [file.path, file.mode, file.owner, file.group, file.createParent ? '1' : '0', digest.sha256, digest.bytes];
  const stdin = { stdin: file.content };
  if (!ctx.duringFault) {
    await runScriptOk(ctx, WRITE_SCRIPT, [...args, 'all'], { what: `writing ${file.path}`, ...stdin });
    return;
  }
  // A crash test stops here for good: the copy is complete on the node, the target untouched.
  const staged = await runScriptOk(ctx, WRITE_SCRIPT, [...args, 'stage'], { what: `writing ${file.path}`, ...stdin });
  await ctx.duringFault();
  await runScriptOk(ctx, WRITE_SCRIPT, [...args, 'commit', staged.stdout.toString('utf8').trim()], { what: `installing ${file.path}` });
}

/** Idempotent: a file already gone is success. `companions`: files that go with it, removed after it (a secret file's mark). */
export async function removeFile(ctx: NodeApplyContext, path: string, companions: readonly string[] = []): Promise<void> {
  for (const p of [path, ...companions]) assertPlainValue(ctx.node.name, 'path', p);
  await runScriptOk(ctx, REMOVE_SCRIPT, [path, ...companions], { what: `removing ${path}` });
}
