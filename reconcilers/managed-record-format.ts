/**
 * The node's own record of what underlay manages on it: `/var/lib/underlay/managed.json`, resource key ->
 * hash of the spec last applied. Only what is listed here is ever pruned. Pure parse and render.
 *
 * An entry may also carry `restartPending: true`: a restart (service) or re-run (command) is owed because
 * something it depends on was, or was about to be, changed by a run that has not finished it. It lives on the
 * node, not in the controller's database, because the node is what the next run re-observes, whichever
 * controller (or database) that run has.
 *
 * And `applyPending: true`: the hash was recorded before the resource was written (so a crash never leaves
 * behind something underlay made but does not know it owns), and the write has not been seen to succeed (or a
 * rollback put back older content under it). While it is set, what differs on the node is unfinished work,
 * not drift (ADR 0028); the write's success clears it.
 *
 * Every update keeps the record it replaces as `managed.json.prev` (ADR 0006), which stands in for a record
 * that cannot be used (readManagedRecord).
 *
 * Format version 2 names the record's owner: the site id and node name it belongs to (ADR 0008), so that a
 * machine reached under another node's name, or by another site, is recognised before anything is pruned
 * from it. Version 1 records (no owner) are still read; the next update adopts them and writes version 2.
 */
import { z } from 'zod';
import { UnderlayError } from '../controller/model/errors.js';
import { canonicalJson } from '../controller/model/canonical-json.js';
import type { ManagedRecordProblem } from '../controller/model/observed.js';
import { Name } from '../controller/spec/primitives.js';

/** Where underlay keeps its own state on a node: the managed record, tracked command runs, the lease. */
export const NODE_STATE_DIR = '/var/lib/underlay';

export const MANAGED_RECORD_PATH = `${NODE_STATE_DIR}/managed.json`;

const Entries = z.record(z.string(), z.strictObject({ hash: z.string().min(1), restartPending: z.literal(true).optional(), applyPending: z.literal(true).optional() }));

/** Whose record it is: the site (its Site document's name) and the Node document's name. */
export const ManagedRecordOwner = z.strictObject({ site: Name, node: Name });
export type ManagedRecordOwner = z.infer<typeof ManagedRecordOwner>;

export const ManagedRecord = z.union([
  z.strictObject({ version: z.literal(1), resources: Entries }),
  z.strictObject({ version: z.literal(2), owner: ManagedRecordOwner, resources: Entries }),
]);
export type ManagedRecord = z.infer<typeof ManagedRecord>;
export type ManagedEntries = z.infer<typeof Entries>;

/** A record's content: its entries and, from version 2 on, its owner. */
export interface ManagedRecordContent {
  resources: ManagedEntries;
  owner?: ManagedRecordOwner;
}

/** One copy of the record is unusable; reading the record falls back to the other copy (ManagedRecordRestored). */
export class ManagedRecordError extends UnderlayError<{ detail: string }> {
  constructor(detail: string) {
    super({ code: 'ManagedRecordInvalid', message: `managed record ${MANAGED_RECORD_PATH}: ${detail}`, data: { detail } });
  }
}

export function parseManagedRecord(text: string): ManagedEntries {
  return parseManagedRecordContent(text).resources;
}

export function parseManagedRecordContent(text: string): ManagedRecordContent {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ManagedRecordError(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = ManagedRecord.safeParse(raw);
  if (!parsed.success) throw new ManagedRecordError(`unexpected shape: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data.version === 1 ? { resources: parsed.data.resources } : { resources: parsed.data.resources, owner: parsed.data.owner };
}

/** One copy of the record as a node-side script found it. */
export type ManagedRecordCopy = { state: 'absent' } | { state: 'unreadable' } | { state: 'present'; text: string };

/**
 * sh (needs framed-output.ts's functions): `record_copy WHICH PATH` prints `M WHICH present <base64>`,
 * `M WHICH absent` or `M WHICH unreadable`. The probe and the record update report both copies with it.
 */
export const RECORD_COPY_FUNCTION = `record_copy() {
  if [ ! -e "$2" ] && [ ! -L "$2" ]; then record M "$1" absent
  elif c=$(base64 -w0 < "$2" 2>/dev/null); then record M "$1" present "$c"
  else record M "$1" unreadable; fi
}
`;

/** The fields after `M WHICH` of a `record_copy` record; undefined when malformed. */
export function parseRecordCopy(fields: readonly string[]): ManagedRecordCopy | undefined {
  const [state, content] = fields;
  if ((state === 'absent' || state === 'unreadable') && fields.length === 1) return { state };
  if (state === 'present' && content !== undefined && fields.length === 2) return { state, text: Buffer.from(content, 'base64').toString('utf8') };
  return undefined;
}


export const PREVIOUS_RECORD_PATH = `${MANAGED_RECORD_PATH}.prev`;

function contentOf(copy: ManagedRecordCopy): ManagedRecordContent | string {
  if (copy.state === 'absent') return 'is missing';
  if (copy.state === 'unreadable') return 'cannot be read';
  try {
    return parseManagedRecordContent(copy.text);
  } catch (error) {
    if (!(error instanceof ManagedRecordError)) throw error;
    return copy.text === '' ? 'is empty' : `is corrupt (${error.data.detail})`;
  }
}

/**
 * Whom a usable record names as its owner: a site's node, or `none` for a version 1 record (written before
 * records named their owner). Absent when there is no usable record.
 */
export type ObservedOwner = ManagedRecordOwner | 'none';

export interface ManagedRecordReading {
  entries: ManagedEntries;
  owner?: ObservedOwner;
  problem?: ManagedRecordProblem;
}

const ownerOf = (content: ManagedRecordContent): ObservedOwner => content.owner ?? 'none';

/**
 * What the node's record says, from the record and the copy kept before its last update. A record that is
 * missing means nothing is managed yet (the copy is not consulted: deleting the record is how an operator
 * starts afresh). A record that cannot be used is replaced by the copy, with a note; without a usable copy,
 * the node's entries are unknown, and the problem says what to do.
 */
export function readManagedRecord(record: ManagedRecordCopy, previous: ManagedRecordCopy): ManagedRecordReading {
  if (record.state === 'absent') return { entries: {} };
  const current = contentOf(record);
  if (typeof current !== 'string') return { entries: current.resources, owner: ownerOf(current) };
  const restored = contentOf(previous);
  if (typeof restored !== 'string') {
    return {
      entries: restored.resources,
      owner: ownerOf(restored),
      problem: {
        code: 'ManagedRecordRestored',
        message:
          `${MANAGED_RECORD_PATH} ${current}; restored from ${PREVIOUS_RECORD_PATH}, the copy kept before its last ` +
          'update, which apply writes back before it changes anything (the update that copy misses, if any, is done again)',
      },
    };
  }
  return {
    entries: {},
    problem: {
      code: 'ManagedRecordCorrupt',
      message:
        `${MANAGED_RECORD_PATH} ${current} and its previous copy ${PREVIOUS_RECORD_PATH} ${restored}: underlay cannot tell ` +
        'what it manages on this node, so it plans and changes nothing there. To recover, put a good record back at ' +
        `${MANAGED_RECORD_PATH} (an older copy, or one written by hand), or delete both files so that the next apply ` +
        'takes the node on afresh (resources underlay managed there are then no longer pruned, and owed restarts are forgotten)',
    },
  };
}

/**
 * Canonical (sorted keys), with a final newline: the same content always gives the same bytes. Every update
 * writes version 2 with its owner; without one, the version 1 bytes an older underlay wrote (what a node
 * holds before its first update by this version, and what tests of that start from).
 */
export function renderManagedRecord(entries: ManagedEntries, owner?: ManagedRecordOwner): string {
  const record: ManagedRecord = owner ? { version: 2, owner, resources: entries } : { version: 1, resources: entries };
  return canonicalJson(record, 1) + '\n';
}

export function applyManagedUpdates(entries: ManagedEntries, updates: readonly ManagedUpdate[]): ManagedEntries {
  const next: ManagedEntries = { ...entries };
  for (const update of updates) {
    const { key, hash } = update;
    if (hash === null) {
      delete next[key];
      continue;
    }
    const current = next[key];
    // A new hash keeps an owed restart: writing the resource is not restarting what uses it.
    let entry = hash !== undefined ? { ...current, hash } : current;
    if (update.restartPending === true) entry ??= update.hashIfNew !== undefined ? { hash: update.hashIfNew } : undefined;
    if (entry) next[key] = withFlag(withFlag(entry, 'restartPending', update.restartPending), 'applyPending', update.applyPending);
  }
  return next;
}

type Flag = 'restartPending' | 'applyPending';

/** The entry with the flag set (true), cleared (false) or kept (undefined). */
function withFlag(entry: ManagedEntries[string], flag: Flag, to: boolean | undefined): ManagedEntries[string] {
  if (to === undefined) return entry;
  const next = { ...entry };
  if (to) next[flag] = true;
  else delete next[flag];
  return next;
}

export interface ManagedUpdate {
  key: string;
  /** Null removes the key: the resource was deleted and is no longer underlay's. Undefined keeps the recorded hash. */
  hash: string | null | undefined;
  /** Sets (true) or clears (false) the entry's owed restart or re-run. */
  restartPending?: boolean;
  /** Sets (true: recorded before the write, or content put back under it) or clears (false: written) the entry's pending write. */
  applyPending?: boolean;
  /** When setting the flag on a key not recorded yet: the hash to record it with (else nothing is recorded). */
  hashIfNew?: string;
  /** A command's run is recorded by this update: its finished run's marker is removed with it (ADR 0006). */
  retireRun?: true;
}
