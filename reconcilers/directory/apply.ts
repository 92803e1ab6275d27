/**
 * Applies a directory change. A delete removes the directory only when it is empty: what else is in it
 * may not be underlay's, so a non-empty one is left in place, dropped from the managed record and reported.
 */
import type { Change } from '../../controller/model/change.js';
import { APPLIED, type NodeApplyContext, type ApplyOutcome } from '../kind-effects.js';
import { stringField } from '../change-fields.js';
import { keyIdentity } from '../../controller/model/resource-key.js';
import { assertPlainValue, runScript, runScriptOk } from '../node-exec.js';

/**
 * $2 is the mode in four digits. GNU chmod keeps a directory's setgid bit for "0755" (one a new directory
 * inherits under a setgid parent such as Debian's /etc/bind): the fifth digit says the special bits too.
 */
const ENSURE_SCRIPT = `set -eu
if [ -e "$1" ] && { [ ! -d "$1" ] || [ -L "$1" ]; }; then echo "$1 exists and is not a directory" >&2; exit 3; fi
mkdir -p -- "$1"
chown -- "$3:$4" "$1"
chmod -- "0$2" "$1"
`;

const NOT_EMPTY_EXIT = 3;
const REMOVE_SCRIPT = `set -eu
[ -d "$1" ] || exit 0
if [ -n "$(ls -A -- "$1")" ]; then exit ${NOT_EMPTY_EXIT}; fi
rmdir -- "$1"
`;

export async function applyDirectory(ctx: NodeApplyContext, change: Change): Promise<ApplyOutcome> {
  if (change.action === 'delete') {
    const path = keyIdentity(change.key);
    assertPlainValue(ctx.node.name, 'path', path);
    const result = await runScript(ctx, REMOVE_SCRIPT, [path]);
    if (result.code === NOT_EMPTY_EXIT) return { result: 'skipped', message: `${path} is not empty: left in place, no longer managed` };
    if (result.code !== 0) await runScriptOk(ctx, REMOVE_SCRIPT, [path], { what: `removing ${path}` });
    return APPLIED;
  }
  const path = stringField(change.after, 'path', change.id);
  assertPlainValue(ctx.node.name, 'path', path);
  await runScriptOk(ctx, ENSURE_SCRIPT, [
    path,
    stringField(change.after, 'mode', change.id),
    stringField(change.after, 'owner', change.id),
    stringField(change.after, 'group', change.id),
  ], { what: `creating ${path}` });
  return APPLIED;
}
