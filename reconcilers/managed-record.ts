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
 *
 * Every write names the record's owner (this site's node) and is fenced (ADR 0008): given the apply's lease
 * token, the node writes only while its lease still carries that token, checked under the same lock, so an
 * apply whose lease was taken over cannot change the record. A record found to name another owner is not
 * overwritten.
 */
import { keyIdentity } from '../controller/model/resource-key.js';
import { sha256 } from '../controller/model/sha256.js';
import { COMMAND_RUNS_DIR } from './command/run-marker.js';
import { contentDigest, RECEIVE_FUNCTION } from './file-write.js';
import { FRAME_FUNCTIONS, parseFramedRecords } from './framed-output.js';
import type { NodeApplyContext } from './kind-effects.js';
import {
  applyManagedUpdates,
  type ManagedEntries,
  type ManagedRecordCopy,
  MANAGED_RECORD_PATH,
  type ManagedUpdate,
  parseRecordCopy,
  readManagedRecord,
  RECORD_COPY_FUNCTION,
  type ObservedOwner,
  renderManagedRecord,
} from './managed-record-format.js';
import { describeHolder } from '../controller/store/lock-holder.js';
import { recordOwnerFinding } from './managed-record-owner.js';
import { LEASE_PATH, LEASE_READ_FUNCTION, parseLease } from './node-lease.js';
import { ApplyError, outputTail, runScript } from './node-exec.js';
import { KeyedQueue } from '../controller/model/keyed-queue.js';

export type { ManagedUpdate } from './managed-record-format.js';

const CONFLICT_EXIT = 75;
const FENCED_EXIT = 76;
const ATTEMPTS = 5;

/**
 * Args: target, expected sha256 (or absent), new record's sha256 and length, keep (1: the current record
 * becomes the previous copy), stage (all | stage | commit), the staged copy (commit), the runs directory,
 * the lease file, the fencing token (empty: unfenced) and the node's name, then the command names whose
 * finished runs this update records (their markers are removed after it).
 */
const CAS_SCRIPT = `set -eu
${FRAME_FUNCTIONS}${RECORD_COPY_FUNCTION}${RECEIVE_FUNCTION}${LEASE_READ_FUNCTION}target=$1 expected=$2 sha=$3 bytes=$4 keep=$5 stage=$6 staged=$7 runs=$8 lease=$9
fence=\${10} node=\${11}
shift 11
dir=$(dirname -- "$target")
mkdir -p -- "$dir"
exec 9>>"$dir/.managed.lock"
if command -v flock >/dev/null 2>&1; then flock -w 30 9; fi
if [ -n "$fence" ]; then
  lease_read "$lease"
  if [ "$lease_token" != "$fence" ] || [ "$lease_node" != "$node" ]; then
    if [ "$stage" = commit ]; then rm -f -- "$staged"; fi
    cur=-
    if [ -n "$lease_token" ]; then cur=$(base64 -w0 < "$lease" 2>/dev/null) || cur=-; fi
    record fenced "$cur"
    exit ${FENCED_EXIT}
  fi
fi
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

/** How this apply writes a node's record: as this site's node, fenced by its lease token. */
export interface RecordWriter {
  /** The site id: with the node's name, the owner every write records. */
  site: string;
  /** The apply's lease token; the node refuses the write unless its lease carries it. Unfenced without. */
  fence?: string;
  /** The lease file's path (tests; default LEASE_PATH). */
  leasePath?: string;
}

/** The record as last observed (the inventory's `managed` and `owner`), which saves a round trip when nothing changed since. */
export interface ObservedRecord {
  entries: ManagedEntries;
  owner?: ObservedOwner;
}

interface Known {
  /** sha256 of the file's bytes, or 'absent'; 'unknown' forces a first round trip that returns the content. */
  sha: string;
  entries: ManagedEntries;
  /** Whether the file's bytes are the record `entries` came from: only then is it kept as the previous copy. */
  keep: boolean;
}

const known = new Map<string, Known>();
/** Record updates of one node are serialised: each compare-and-swap starts from the record the previous one left. */
const recordQueue = new KeyedQueue();

const nodeKey = (ctx: NodeApplyContext): string => `${ctx.node.name}@${ctx.node.address}:${ctx.node.port}`;

/** Tells the record what the node now holds. */
export function recordManaged(ctx: NodeApplyContext, updates: readonly ManagedUpdate[], writer: RecordWriter, base?: ObservedRecord): Promise<void> {
  const key = nodeKey(ctx);
  return recordQueue.run(key, () => casLoop(ctx, updates, writer, base));
}

function knownOf(base: ObservedRecord | undefined): Known {
  if (base === undefined) return { sha: 'unknown', entries: {}, keep: true };
  const owner = base.owner === 'none' ? undefined : base.owner;
  return { sha: sha256(renderManagedRecord(base.entries, owner)), entries: base.entries, keep: true };
}

async function casLoop(ctx: NodeApplyContext, updates: readonly ManagedUpdate[], writer: RecordWriter, base: ObservedRecord | undefined): Promise<void> {
  const key = nodeKey(ctx);
  let current: Known = known.get(key) ?? knownOf(base);
  const retired = updates.filter((u) => u.retireRun === true).map((u) => keyIdentity(u.key));
  const owner = { site: writer.site, node: ctx.node.name };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const entries = applyManagedUpdates(current.entries, updates);
    const text = renderManagedRecord(entries, owner);
    const result = await write(ctx, writer, { current, text, retired });
    if (result.code === 0) {
      known.set(key, { sha: sha256(text), entries, keep: true });
      return;
    }
    if (result.code === FENCED_EXIT) {
      known.delete(key);
      throw new ApplyError(ctx.node.name, fencedMessage(result.stdout), result, 'LeaseLost');
    }
    if (result.code !== CONFLICT_EXIT) {
      known.delete(key);
      throw new ApplyError(ctx.node.name, `updating ${MANAGED_RECORD_PATH} failed (exit ${result.code}): ${outputTail(result)}`, result);
    }
    current = fromConflict(ctx, writer.site, result.stdout);
  }
  known.delete(key);
  throw new ApplyError(ctx.node.name, `${MANAGED_RECORD_PATH} kept changing under ${ATTEMPTS} attempts to update it`);
}

/** Why the node refused the write: the lease it found (framed answer `fenced <base64 lease or ->`). */
function fencedMessage(stdout: Buffer): string {
  let found: string | undefined;
  try {
    const [answer] = parseFramedRecords(stdout);
    if (answer?.[0] === 'fenced' && answer[1] !== undefined && answer[1] !== '-') found = Buffer.from(answer[1], 'base64').toString('utf8');
  } catch {
    // The refusal stands whatever the answer says.
  }
  const lease = parseLease(found);
  const now = lease ? `it is leased by ${describeHolder(lease.holder)}` : found === undefined ? 'it has no lease' : 'its lease is unreadable';
  return `${MANAGED_RECORD_PATH} was not written: this apply no longer holds the node's lease (${now}), so it may not change the node`;
}

/** One compare-and-swap: the record it expects, the text that replaces it, the runs it retires. */
interface Swap {
  current: Known;
  text: string;
  retired: readonly string[];
}

/** One compare-and-swap, or in a crash test the interrupted one its fault point asks for. */
async function write(ctx: NodeApplyContext, writer: RecordWriter, { current, text, retired }: Swap) {
  const digest = contentDigest(text);
  const fence = [writer.leasePath ?? LEASE_PATH, writer.fence ?? '', ctx.node.name];
  const args = (stage: string, staged = '') => [MANAGED_RECORD_PATH, current.sha, digest.sha256, digest.bytes, current.keep ? '1' : '0', stage, staged, COMMAND_RUNS_DIR, ...fence, ...retired];
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

/**
 * The record as the node has it now, from a conflict's answer; a record beyond use, or one that names
 * another owner, refuses the update.
 */
function fromConflict(ctx: NodeApplyContext, site: string, stdout: Buffer): Known {
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
  const { entries, owner, problem } = readManagedRecord(copies.record, copies.prev);
  if (problem?.code === 'ManagedRecordCorrupt') throw new ApplyError(ctx.node.name, `${problem.message}; not overwritten`, undefined, problem.code);
  const finding = recordOwnerFinding(site, ctx.node.name, owner === undefined ? {} : { owner });
  if (finding?.code === 'NodeIdentityMismatch') throw new ApplyError(ctx.node.name, `${finding.message}; not overwritten`, undefined, finding.code);
  // Restored: the corrupt record is overwritten, and the good copy stays the previous one.
  return { sha, entries, keep: problem === undefined };
}

/** The keeper the apply engine uses (controller/apply/managed-record-keeper.ts decides when). */
export function nodeManagedRecord(writer: RecordWriter, observed?: (node: string) => ObservedRecord | undefined) {
  return { update: (ctx: NodeApplyContext, updates: readonly ManagedUpdate[]) => recordManaged(ctx, updates, writer, observed?.(ctx.node.name)) };
}
