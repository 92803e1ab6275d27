/**
 * Atomic file replacement on a node, shared by every reconciler that writes files (files, service
 * definitions, the managed record). Content goes on stdin into a temporary file in the target's own
 * directory (same file system, so the final rename is atomic); it is synced, given its mode and owner,
 * and only then renamed over the target. A reader sees the old file or the new one, never a mix.
 */
import type { ApplyContext } from './reconciler.js';
import { assertPlainValue, runScriptOk } from './node-exec.js';

const WRITE_SCRIPT = `set -eu
target=$1 mode=$2 owner=$3 group=$4 mkparent=$5
dir=$(dirname -- "$target")
if [ "$mkparent" = 1 ]; then mkdir -p -- "$dir"; fi
if [ -d "$target" ] && [ ! -L "$target" ]; then echo "$target is a directory" >&2; exit 3; fi
tmp=$(mktemp -- "$dir/.underlay.XXXXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
sync -- "$tmp"
chmod -- "$mode" "$tmp"
chown -- "$owner:$group" "$tmp"
mv -f -- "$tmp" "$target"
trap - EXIT
sync -- "$dir" 2>/dev/null || true
`;

// Refuses directories: rm -f on one fails anyway, but the message should say what was found.
const REMOVE_SCRIPT = `set -eu
if [ -d "$1" ] && [ ! -L "$1" ]; then echo "$1 is a directory, not removed" >&2; exit 3; fi
rm -f -- "$1"
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

export async function writeFileAtomic(ctx: ApplyContext, file: FileWrite): Promise<void> {
  assertPlainValue(ctx.node.name, 'path', file.path);
  await runScriptOk(
    ctx,
    `writing ${file.path}`,
    WRITE_SCRIPT,
    [file.path, file.mode, file.owner, file.group, file.createParent ? '1' : '0'],
    { stdin: file.content },
  );
}

/** Idempotent: a file already gone is success. */
export async function removeFile(ctx: ApplyContext, path: string): Promise<void> {
  assertPlainValue(ctx.node.name, 'path', path);
  await runScriptOk(ctx, `removing ${path}`, REMOVE_SCRIPT, [path]);
}
