/**
 * Applies a symbolic link change. The link is made under a temporary name beside it and renamed over the
 * path (`mv -T`: rename(2), atomic), so a reader finds the old link or the new one, never none; a
 * directory at the path is refused, never entered. A delete removes only a symbolic link: whatever else
 * now sits at the path is not underlay's, so it is left in place, dropped from the record and reported.
 */
import type { Change } from '../../controller/model/change.js';
import { keyIdentity } from '../../controller/model/resource-key.js';
import { stringField } from '../change-fields.js';
import { APPLIED, type NodeApplyContext, type ApplyOutcome } from '../kind-effects.js';
import { assertPlainValue, runScript, runScriptOk } from '../node-exec.js';

// mktemp -u only names the copy: `ln -s` refuses a name that exists meanwhile, so nothing is followed.
const LINK_SCRIPT = `set -eu
path=$1 target=$2 owner=$3 group=$4
if [ -d "$path" ] && [ ! -L "$path" ]; then echo "$path is a directory, not replaced by a symbolic link" >&2; exit 3; fi
dir=$(dirname -- "$path")
base=$(basename -- "$path")
rm -f -- "$dir/.underlay.$base".????????
tmp=$(mktemp -u -- "$dir/.underlay.$base.XXXXXXXX")
trap 'rm -f -- "$tmp"' EXIT
ln -s -- "$target" "$tmp"
chown -h -- "$owner:$group" "$tmp"
mv -T -f -- "$tmp" "$path"
trap - EXIT
sync -- "$dir" 2>/dev/null || true
`;

const NOT_A_LINK_EXIT = 3;
const REMOVE_SCRIPT = `set -eu
if [ -L "$1" ]; then rm -f -- "$1"; elif [ -e "$1" ]; then exit ${NOT_A_LINK_EXIT}; fi
`;

export async function applySymlink(ctx: NodeApplyContext, change: Change): Promise<ApplyOutcome> {
  if (change.action === 'delete') {
    const path = keyIdentity(change.key);
    assertPlainValue(ctx.node.name, 'path', path);
    const result = await runScript(ctx, REMOVE_SCRIPT, [path]);
    if (result.code === NOT_A_LINK_EXIT) return { result: 'skipped', message: `${path} is no longer a symbolic link: left in place, no longer managed` };
    if (result.code !== 0) await runScriptOk(ctx, REMOVE_SCRIPT, [path], { what: `removing ${path}` });
    return APPLIED;
  }
  const path = stringField(change.after, 'path', change.id);
  const target = stringField(change.after, 'target', change.id);
  assertPlainValue(ctx.node.name, 'path', path);
  assertPlainValue(ctx.node.name, 'target', target);
  await runScriptOk(ctx, LINK_SCRIPT, [
    path,
    target,
    stringField(change.after, 'owner', change.id),
    stringField(change.after, 'group', change.id),
  ], { what: `linking ${path} -> ${target}` });
  return APPLIED;
}
