/**
 * Updating the node's managed record after apply.
 *
 * Choice: the controller computes the new record and replaces the file atomically, guarded by a
 * compare-and-swap on the node: the write happens only if the file still has the sha256 the new record was
 * computed from, under flock. On a mismatch (another apply, another controller, a hand edit) the node
 * answers with the current bytes in the same exec, and the merge is redone from those. So no JSON parsing
 * runs on nodes (no jq there), no update is lost, and a steady run costs one exec per update.
 * Updates for one node are also serialised in this process, so concurrent applies on a node rarely conflict.
 *
 * The record cannot be torn: the new one is checked for the announced length and sha256 before it is
 * renamed (a controller killed while sending it leaves a short stdin, which is refused), and the record it
 * replaces is kept as `managed.json.prev`. A record that cannot be used (written by hand, or torn by an
 * older version) is replaced by the previous copy plus the update, with a note (readManagedRecord); the
 * corrupt record is then not kept as the copy. When neither is usable the update refuses, saying what to do.
 */
import { keyIdentity } from '../controller/model/resource-key.js';
import { sha256 } from '../controller/model/sha256.js';
import { COMMAND_RUNS_DIR } from './command/run-marker.js';
import { contentDigest, RECEIVE_FUNCTION } from './file-write.js';
import { FRAME_FUNCTIONS, parseFramedRecords } from './framed-output.js';
import type { ApplyContext } from './kind-effects.js';
import {
  applyManagedUpdates,
  type ManagedEntries,
  type ManagedRecordCopy,
  MANAGED_RECORD_PATH,
  type ManagedUpdate,
  parseRecordCopy,
  readManagedRecord,
  RECORD_COPY_FUNCTION,
  renderManagedRecord,
} from './managed-record-format.js';
import { ApplyError, outputTail, runScript } from './node-exec.js';

export type { ManagedUpdate } from './managed-record-format.js';

const CONFLICT_EXIT = 75;
const ATTEMPTS = 5;

/**
 * Args: target, expected sha256 (or absent), new record's sha256 and length, keep (1: the current record
 * becomes the previous copy), stage (all | stage | commit), the staged copy (commit), the runs directory,
 * then the command names whose finished runs this update records (their markers are removed after it).
 */
const CAS_SCRIPT = `set -eu
${FRAME_FUNCTIONS}${RECORD_COPY_FUNCTION}${RECEIVE_FUNCTION}target=$1 expected=$2 sha=$3 bytes=$4 keep=$5 stage=$6 staged=$7 runs=$8
shift 8
dir=$(dirname -- "$target")
mkdir -p -- "$dir"
exec 9>>"$dir/.managed.lock"
if command -v flock >/dev/null 2>&1; then flock -w 30 9; fi
if [ -f "$target" ]; then cur=$(sha256sum < "$target"); cur=\${cur%% *}; else cur=absent; fi
if [ "$cur" != "$expected" ]; then
  if [ "$stage" = commit ]; then rm -f -- "$staged"; fi
  record sha "$cur"
  record_copy record "$target"
  record_copy prev "$target.prev"
  exit ${CONFLICT_EXIT}
fi
if [ "$stage" = commit ]; then
  tmp=$staged
else
  rm -f -- "$dir"/.underlay.managed.json.????????
  tmp=$(mktemp -- "$dir/.underlay.managed.json.XXXXXXXX")
  trap 'rm -f -- "$tmp"' EXIT
  receive "$tmp" "$sha" "$bytes" "$target"
  sync -- "$tmp"
  chmod 0600 "$tmp"
  if [ "$stage" = stage ]; then trap - EXIT; printf '%s\\n' "$tmp"; exit 0; fi
fi
if [ "$keep" = 1 ] && [ -f "$target" ]; then
  ln -f -- "$target" "$dir/.underlay.managed.prev"
  mv -f -- "$dir/.underlay.managed.prev" "$target.prev"
fi
mv -f -- "$tmp" "$target"
trap - EXIT
sync -- "$dir" 2>/dev/null || true
if [ "$#" -gt 0 ] && [ -d "$runs" ]; then
  exec 8>>"$runs/.lock"
  if command -v flock >/dev/null 2>&1; then flock -w 30 8; fi
  for n do
    if [ -f "$runs/$n.status" ]; then rm -f -- "$runs/$n.json" "$runs/$n.status" "$runs/$n.out" "$runs/$n.err"; fi
  done
fi
`;

interface Known {
  /** sha256 of the file's bytes, or 'absent'; 'unknown' forces a first round trip that returns the content. */
  sha: string;
  entries: ManagedEntries;
  /** Whether the file's bytes are the record `entries` came from: only then is it kept as the previous copy. */
  keep: boolean;
}

const known = new Map<string, Known>();
const queues = new Map<string, Promise<unknown>>();

const nodeKey = (ctx: ApplyContext): string => `${ctx.node.name}@${ctx.node.address}:${ctx.node.port}`;

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
    known.get(key) ??
    (base === undefined ? { sha: 'unknown', entries: {}, keep: true } : { sha: sha256(renderManagedRecord(base)), entries: base, keep: true });
  const retired = updates.filter((u) => u.retireRun === true).map((u) => keyIdentity(u.key));
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const entries = applyManagedUpdates(current.entries, updates);
    const text = renderManagedRecord(entries);
    const result = await write(ctx, current, text, retired);
    if (result.code === 0) {
      known.set(key, { sha: sha256(text), entries, keep: true });
      return;
    }
    if (result.code !== CONFLICT_EXIT) {
      known.delete(key);
      throw new ApplyError(ctx.node.name, `updating ${MANAGED_RECORD_PATH} failed (exit ${result.code}): ${outputTail(result)}`, result);
    }
    current = fromConflict(ctx, result.stdout);
  }
  known.delete(key);
  throw new ApplyError(ctx.node.name, `${MANAGED_RECORD_PATH} kept changing under ${ATTEMPTS} attempts to update it`);
}

/** One compare-and-swap, or in a crash test the interrupted one its fault point asks for. */
async function write(ctx: ApplyContext, current: Known, text: string, retired: readonly string[]) {
  const digest = contentDigest(text);
  const args = (stage: string, staged = '') => [MANAGED_RECORD_PATH, current.sha, digest.sha256, digest.bytes, current.keep ? '1' : '0', stage, staged, COMMAND_RUNS_DIR, ...retired];
  const fault = ctx.recordFault;
  if (fault?.point === 'record-truncated') {
    // What a controller killed while sending leaves: fewer bytes than announced, then the end of stdin.
    const result = await runScript(ctx, CAS_SCRIPT, args('all'), { stdin: text.slice(0, Math.floor(text.length / 2)) });
    if (result.code !== CONFLICT_EXIT) await fault.reach();
    return result;
  }
  if (fault?.point === 'record-staged') {
    const staged = await runScript(ctx, CAS_SCRIPT, args('stage'), { stdin: text });
    if (staged.code !== 0) return staged;
    await fault.reach();
    return runScript(ctx, CAS_SCRIPT, args('commit', staged.stdout.toString('utf8').trim()));
  }
  return runScript(ctx, CAS_SCRIPT, args('all'), { stdin: text });
}

/** The record as the node has it now, from a conflict's answer; a record beyond use refuses the update. */
function fromConflict(ctx: ApplyContext, stdout: Buffer): Known {
  const copies: Partial<Record<string, ManagedRecordCopy>> = {};
  let sha: string | undefined;
  try {
    for (const [tag, which = '', ...fields] of parseFramedRecords(stdout)) {
      if (tag === 'sha') sha = which;
      else if (tag === 'M') copies[which] = parseRecordCopy(fields);
    }
  } catch (error) {
    throw new ApplyError(ctx.node.name, `updating ${MANAGED_RECORD_PATH}: unreadable answer (${error instanceof Error ? error.message : String(error)})`);
  }
  if (sha === undefined || !copies.record || !copies.prev) throw new ApplyError(ctx.node.name, `updating ${MANAGED_RECORD_PATH}: incomplete answer`);
  const { entries, problem } = readManagedRecord(copies.record, copies.prev);
  if (problem?.code === 'ManagedRecordCorrupt') throw new ApplyError(ctx.node.name, `${problem.code}: ${problem.message}; not overwritten`);
  // Restored: the corrupt record is overwritten, and the good copy stays the previous one.
  return { sha, entries, keep: problem === undefined };
}

/** The keeper the apply engine uses (controller/apply/managed-record-keeper.ts decides when). */
export const nodeManagedRecord = { update: recordManaged };
