/**
 * A node's lease (ADR 0008): `/var/lib/underlay/lease.json`, which says which apply may change the node
 * until when. It is what stops a second machine with its own state directory (a laptop, a CI runner): the
 * site lock only serialises applies that share a database.
 *
 * Every operation is one exec of a fixed script that runs under the lock the managed-record update also
 * takes (`.managed.lock`), so taking a lease over and a record write by the holder it replaced never
 * interleave. Expiry is judged by the node's clock alone, the one clock every contender shares: the
 * script computes `expiresAt` from the node's `date +%s` and the TTL it is given. The lease is written to a
 * temporary file and renamed, so it is never torn.
 *
 * The holder's token is the fencing token: the record update refuses to write unless the lease still
 * carries it (managed-record.ts), so an apply that lost its lease cannot change what underlay manages.
 */
import { z } from 'zod';
import { canonicalJson } from '../controller/model/canonical-json.js';
import { type LockHolder, NodeLease } from '../controller/store/lock-holder.js';
import { FRAME_FUNCTIONS, parseFramedRecords } from './framed-output.js';
import { NODE_STATE_DIR } from './managed-record-format.js';
import { ApplyError, assertPlainValue, outputTail, runScript, type NodeTarget } from './node-exec.js';

export const LEASE_PATH = `${NODE_STATE_DIR}/lease.json`;

/**
 * sh: `lease_read PATH` sets lease_token, lease_node and lease_expires from the lease's first line (all
 * empty without a lease; lease_token=unreadable when the file is not a lease this format wrote). Shared by
 * the lease script and the record update's fence.
 */
export const LEASE_READ_FUNCTION = `lease_read() {
  lease_token= lease_node= lease_expires=
  if [ ! -e "$1" ] && [ ! -L "$1" ]; then return 0; fi
  l=$(sed -n '1s/^{"token":"\\([0-9a-f]\\{1,64\\}\\)","node":"\\([a-z0-9-]\\{1,63\\}\\)","expiresAt":\\([0-9]\\{1,12\\}\\),"holder":.*}$/\\1 \\2 \\3/p' -- "$1" 2>/dev/null) || l=
  case $l in
  *' '*' '*) lease_token=\${l%% *}; l=\${l#* }; lease_node=\${l%% *}; lease_expires=\${l#* } ;;
  *) lease_token=unreadable ;;
  esac
}
`;

/**
 * Args: action (take | release | break), the lease's path, token, node, TTL in seconds, the holder (JSON,
 * one line), and a token whose lease may be taken over before it expires (its holder is known dead).
 * Answers with one framed record: `lease STATE NOW EXPIRES CURRENT` (the node's time, the new expiry or -,
 * the lease found, base64, or - for none).
 */
const LEASE_SCRIPT = `set -eu
${FRAME_FUNCTIONS}${LEASE_READ_FUNCTION}action=$1 lease=$2 token=$3 node=$4 ttl=$5 holder=$6 takeover=$7
dir=$(dirname -- "$lease")
mkdir -p -- "$dir"
exec 9>>"$dir/.managed.lock"
if command -v flock >/dev/null 2>&1; then flock -w 30 9; fi
now=$(date +%s)
lease_read "$lease"
cur=-
if [ -n "$lease_token" ]; then cur=$(base64 -w0 < "$lease" 2>/dev/null) || cur=-; fi
answer() { record lease "$1" "$now" "$2" "$cur"; exit 0; }
case $action in
take)
  if [ -z "$lease_token" ]; then state=taken
  elif [ "$lease_token" = "$token" ] && [ "$lease_node" = "$node" ]; then state=renewed
  elif [ "$lease_token" = "$token" ]; then answer same-machine -
  elif [ "$lease_token" = unreadable ]; then answer unreadable -
  elif [ "$lease_token" = "$takeover" ] || [ "$lease_expires" -le "$now" ]; then state=took-over
  else answer held -; fi
  expires=$((now + ttl))
  rm -f -- "$dir"/.underlay.lease.????????
  tmp=$(mktemp -- "$dir/.underlay.lease.XXXXXXXX")
  printf '{"token":"%s","node":"%s","expiresAt":%s,"holder":%s}\\n' "$token" "$node" "$expires" "$holder" > "$tmp"
  chmod 0600 "$tmp"
  mv -f -- "$tmp" "$lease"
  answer "$state" "$expires" ;;
release)
  if [ "$lease_token" = "$token" ] && [ "$lease_node" = "$node" ]; then rm -f -- "$lease"; answer released -; fi
  answer not-held - ;;
break)
  if [ -n "$lease_token" ]; then rm -f -- "$lease"; answer broken -; fi
  answer absent - ;;
esac
exit 2
`;

export interface LeasePlace {
  /** The lease file; default LEASE_PATH (tests use a temporary directory). */
  path?: string;
}

export interface LeaseRequest {
  token: string;
  ttlSeconds: number;
  holder: LockHolder;
  /** The token of a holder known to be dead, whose lease is taken over before it expires. */
  takeover?: string;
}

/** What a take found and did. `nodeNow` is the node's clock (seconds), by which every expiry is meant. */
export type LeaseTake =
  | { state: 'taken' | 'renewed'; nodeNow: number; lease: NodeLease }
  /** `previous`: the expired (or dead holder's) lease it replaced. */
  | { state: 'took-over'; nodeNow: number; lease: NodeLease; previous: NodeLease | undefined }
  /** Another holder's lease, still running. */
  | { state: 'held'; nodeNow: number; current: NodeLease }
  /** This apply already leased this machine under another node's name: two Node documents reach it. */
  | { state: 'same-machine'; nodeNow: number; current: NodeLease }
  /** A lease file this format did not write (edited by hand?): only force-unlock removes it. */
  | { state: 'unreadable'; nodeNow: number; text: string };

export type LeaseRelease = { state: 'released' } | { state: 'not-held'; current: NodeLease | undefined };

export type LeaseBreak = { state: 'broken'; previous: NodeLease | undefined } | { state: 'absent' };

const Answer = z.tuple([z.literal('lease'), z.string(), z.string().regex(/^\d+$/), z.string(), z.string()]);

interface RawAnswer {
  state: string;
  nodeNow: number;
  expires: number | undefined;
  text: string | undefined;
}

/** One exec of the lease script on the node, for the lease of the node it is named as (`target.node.name`). */
async function run(target: NodeTarget, action: string, args: { token?: string; ttl?: number; holder?: string; takeover?: string }, place: LeasePlace): Promise<RawAnswer> {
  const values = [action, place.path ?? LEASE_PATH, args.token ?? '', target.node.name, String(args.ttl ?? 0), args.holder ?? '{}', args.takeover ?? ''];
  for (const v of values) assertPlainValue(target.node.name, 'lease value', v);
  const result = await runScript(target, LEASE_SCRIPT, values, { timeoutMs: 45_000 });
  if (result.code !== 0) throw new ApplyError(target.node.name, `the node lease (${action}) failed (exit ${result.code}): ${outputTail(result)}`, result);
  let records: string[][];
  try {
    records = parseFramedRecords(result.stdout);
  } catch (error) {
    throw new ApplyError(target.node.name, `the node lease (${action}): unreadable answer (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = records.length === 1 ? Answer.safeParse(records[0]) : undefined;
  if (!parsed?.success) throw new ApplyError(target.node.name, `the node lease (${action}): unexpected answer`);
  const [, state, now, expires, current] = parsed.data;
  return { state, nodeNow: Number(now), expires: expires === '-' ? undefined : Number(expires), text: current === '-' ? undefined : Buffer.from(current, 'base64').toString('utf8') };
}

/** The lease a node holds, from its file's text; undefined when it is not one (then only force-unlock removes it). */
export function parseLease(text: string | undefined): NodeLease | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = NodeLease.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function leaseOf(target: NodeTarget, text: string | undefined, what: string): NodeLease {
  const lease = parseLease(text);
  if (!lease) throw new ApplyError(target.node.name, `the node lease: ${what} is not a lease (${JSON.stringify((text ?? '').slice(0, 80))})`);
  return lease;
}

/** Takes, renews (same token and node) or takes over (expired, or `takeover`) the node's lease, in one exec. */
export async function takeLease(target: NodeTarget, request: LeaseRequest, place: LeasePlace = {}): Promise<LeaseTake> {
  const holder = canonicalJson(request.holder);
  const answer = await run(target, 'take', { token: request.token, ttl: request.ttlSeconds, holder, ...(request.takeover ? { takeover: request.takeover } : {}) }, place);
  const { state, nodeNow } = answer;
  if (state === 'taken' || state === 'renewed' || state === 'took-over') {
    const lease: NodeLease = { token: request.token, node: target.node.name, expiresAt: answer.expires ?? nodeNow, holder: request.holder };
    return state === 'took-over' ? { state, nodeNow, lease, previous: parseLease(answer.text) } : { state, nodeNow, lease };
  }
  if (state === 'held' || state === 'same-machine') return { state, nodeNow, current: leaseOf(target, answer.text, 'the lease found') };
  if (state === 'unreadable') return { state, nodeNow, text: answer.text ?? '' };
  throw new ApplyError(target.node.name, `the node lease (take): unexpected state ${state}`);
}

/** Gives the lease up if `token` still holds it for this node. */
export async function releaseLease(target: NodeTarget, token: string, place: LeasePlace = {}): Promise<LeaseRelease> {
  const answer = await run(target, 'release', { token }, place);
  return answer.state === 'released' ? { state: 'released' } : { state: 'not-held', current: parseLease(answer.text) };
}

/** Removes the node's lease whoever holds it (`underlay force-unlock`). */
export async function breakLease(target: NodeTarget, place: LeasePlace = {}): Promise<LeaseBreak> {
  const answer = await run(target, 'break', {}, place);
  return answer.state === 'broken' ? { state: 'broken', previous: parseLease(answer.text) } : { state: 'absent' };
}
