/**
 * Applies a secret file change. The node is checked first (trust-gate.ts); only then is the secret read
 * from the store, at apply time (the plan holds its name only). Its bytes go on stdin, after one line
 * with the HMAC key's blocks and the keyed digest they must give (keyed-digest-script.ts), into a 0600
 * temporary file beside the target; the node checks the digest, so a copy cut short by a dying controller
 * is never renamed into place, then sets mode and owner and renames it, and leaves the digest as the file's
 * mark (secret-mark.ts). Nothing about the value reaches argv, the journal or an error: not even its length.
 */
import type { Change } from '../../controller/model/change.js';
import { keyIdentity } from '../../controller/model/resource-key.js';
import { deliveryKey, keyedDigest } from '../../controller/secrets/keyed-digest.js';
import { SecretError } from '../../controller/secrets/secret-store.js';
import { stringField } from '../change-fields.js';
import { removeFile } from '../file-write.js';
import { APPLIED, type ApplyOutcome, type NodeApplyContext } from '../kind-effects.js';
import { assertPlainValue, runScriptOk } from '../node-exec.js';
import { hmacPads, KEYED_DIGEST_FUNCTION } from './keyed-digest-script.js';
import { type MarkPlace, markName, SECRET_MARKS_DIR, WRITE_MARK_FUNCTION } from './secret-mark.js';
import { assertTrustedForSecret } from './trust-gate.js';

const INCOMPLETE_EXIT = 6;

// `read` takes the key line byte by byte (stdin is a pipe), leaving the secret's bytes to `cat`.
const WRITE_SCRIPT = `set -eu
${KEYED_DIGEST_FUNCTION}${WRITE_MARK_FUNCTION}target=$1 mode=$2 owner=$3 group=$4 marks=$5 mark=$6
IFS= read -r keys
inner=\${keys%% *} rest=\${keys#* }
outer=\${rest%% *} want=\${rest#* }
dir=$(dirname -- "$target")
base=$(basename -- "$target")
if [ -d "$target" ] && [ ! -L "$target" ]; then echo "$target is a directory" >&2; exit 3; fi
rm -f -- "$dir/.underlay.$base".????????
tmp=$(mktemp -- "$dir/.underlay.$base.XXXXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
if [ "$(keyed_digest "$tmp" "$inner" "$outer")" != "$want" ]; then
  echo "secret content for $target arrived incomplete or altered: not installed" >&2
  exit ${INCOMPLETE_EXIT}
fi
sync -- "$tmp"
chmod -- "$mode" "$tmp"
chown -- "$owner:$group" "$tmp"
mv -f -- "$tmp" "$target"
trap - EXIT
sync -- "$dir" 2>/dev/null || true
write_mark "$marks" "$mark" "$want"
`;

export async function applySecretFile(ctx: NodeApplyContext, change: Change, place: MarkPlace = {}): Promise<ApplyOutcome> {
  const marks = place.marksDir ?? SECRET_MARKS_DIR;
  if (change.action === 'delete') {
    const path = keyIdentity(change.key);
    // The file goes first: a mark that outlives it is replaced when the file is written again.
    await removeFile(ctx, path, [`${marks}/${markName(path)}`]);
    return APPLIED;
  }
  const after = change.after;
  const path = stringField(after, 'path', change.id);
  const secret = stringField(after, 'secret', change.id);
  assertPlainValue(ctx.node.name, 'path', path);
  await assertTrustedForSecret(ctx, secret);
  const source = ctx.secrets;
  if (!source) throw new SecretError('SecretNotFound', secret, `node ${ctx.node.name}: secret ${secret} not delivered: apply was given no secret store`);
  const value = await source.read(secret);
  const key = deliveryKey(await source.digestKey(), { site: source.site, node: ctx.node.name, path });
  const keyLine = `${hmacPads(key)} ${keyedDigest(key, value)}\n`;
  await runScriptOk(ctx, WRITE_SCRIPT, [path, stringField(after, 'mode', change.id), stringField(after, 'owner', change.id), stringField(after, 'group', change.id), marks, markName(path)], {
    what: `writing secret ${secret} to ${path}`,
    stdin: Buffer.concat([Buffer.from(keyLine), value]),
  });
  return APPLIED;
}
