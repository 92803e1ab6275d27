/**
 * Updating the node's managed record after apply.
 *
 * Choice: the controller computes the new record and replaces the file atomically, guarded by a
 * compare-and-swap on the node: the write happens only if the file still has the sha256 the new record was
 * computed from, under flock. On a mismatch (another apply, another controller, a hand edit) the node
 * answers with the current bytes in the same exec, and the merge is redone from those. So no JSON parsing
 * runs on nodes (no jq there), no update is lost, and a steady run costs one exec per update.
 * Updates for one node are also serialised in this process, so concurrent applies on a node rarely conflict.
 */
import { createHash } from 'node:crypto';
import type { ApplyContext } from './reconciler.js';
import {
  applyManagedUpdates,
  type ManagedEntries,
  MANAGED_RECORD_PATH,
  type ManagedUpdate,
  parseManagedRecord,
  renderManagedRecord,
} from './managed-record-format.js';
import { ApplyError, outputTail, runScript } from './node-exec.js';

export type { ManagedUpdate } from './managed-record-format.js';

const CONFLICT_EXIT = 75;
const ATTEMPTS = 5;

const CAS_SCRIPT = `set -eu
target=$1 expected=$2
dir=$(dirname -- "$target")
mkdir -p -- "$dir"
exec 9>>"$dir/.managed.lock"
if command -v flock >/dev/null 2>&1; then flock -w 30 9; fi
if [ -f "$target" ]; then cur=$(sha256sum < "$target"); cur=\${cur%% *}; else cur=absent; fi
if [ "$cur" != "$expected" ]; then
  if [ -f "$target" ]; then base64 -w0 < "$target"; fi
  exit ${CONFLICT_EXIT}
fi
tmp=$(mktemp -- "$dir/.underlay.XXXXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
sync -- "$tmp"
chmod 0600 "$tmp"
mv -f -- "$tmp" "$target"
trap - EXIT
sync -- "$dir" 2>/dev/null || true
`;

interface Known {
  /** sha256 of the file's bytes, or 'absent'; 'unknown' forces a first round trip that returns the content. */
  sha: string;
  entries: ManagedEntries;
}

const known = new Map<string, Known>();
const queues = new Map<string, Promise<unknown>>();

const nodeKey = (ctx: ApplyContext): string => `${ctx.node.name}@${ctx.node.address}:${ctx.node.port}`;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Tells the record what the node now holds. `base` is the record as last observed (the inventory's
 * `managed`), which saves a round trip when nothing changed since.
 */
export function recordManaged(ctx: ApplyContext, updates: readonly ManagedUpdate[], base?: ManagedEntries): Promise<void> {
  const key = nodeKey(ctx);
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => casLoop(ctx, key, updates, base));
  queues.set(key, next);
  return next;
}

async function casLoop(ctx: ApplyContext, key: string, updates: readonly ManagedUpdate[], base: ManagedEntries | undefined): Promise<void> {
  let current: Known =
    known.get(key) ?? (base === undefined ? { sha: 'unknown', entries: {} } : { sha: sha256(renderManagedRecord(base)), entries: base });
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const entries = applyManagedUpdates(current.entries, updates);
    const text = renderManagedRecord(entries);
    const result = await runScript(ctx, CAS_SCRIPT, [MANAGED_RECORD_PATH, current.sha], { stdin: text });
    if (result.code === 0) {
      known.set(key, { sha: sha256(text), entries });
      return;
    }
    if (result.code !== CONFLICT_EXIT) {
      known.delete(key);
      throw new ApplyError(ctx.node.name, `updating ${MANAGED_RECORD_PATH} failed (exit ${result.code}): ${outputTail(result)}`, result);
    }
    const body = result.stdout.toString('utf8').trim();
    if (body === '') current = { sha: 'absent', entries: {} };
    else {
      const bytes = Buffer.from(body, 'base64').toString('utf8');
      try {
        current = { sha: sha256(bytes), entries: parseManagedRecord(bytes) };
      } catch (error) {
        throw new ApplyError(ctx.node.name, `${error instanceof Error ? error.message : String(error)}; not overwritten`);
      }
    }
  }
  known.delete(key);
  throw new ApplyError(ctx.node.name, `${MANAGED_RECORD_PATH} kept changing under ${ATTEMPTS} attempts to update it`);
}

/** The keeper the apply engine uses (controller/apply/managed-record-keeper.ts decides when). */
export const nodeManagedRecord = { update: recordManaged };
