/**
 * The node's own record of what underlay manages on it: `/var/lib/underlay/managed.json`, resource key ->
 * hash of the spec last applied. Only what is listed here is ever pruned. Pure parse and render.
 *
 * An entry may also carry `restartPending: true`: a restart (service) or re-run (command) is owed because
 * something it depends on was, or was about to be, changed by a run that has not finished it. It lives on the
 * node, not in the controller's database, because the node is what the next run re-observes, whichever
 * controller (or database) that run has.
 *
 * Every update keeps the record it replaces as `managed.json.prev` (ADR 0006), which stands in for a record
 * that cannot be used (readManagedRecord). The format itself is unchanged: version 1.
 */
import { z } from 'zod';
import { canonicalJson } from '../controller/model/canonical-json.js';
import type { ManagedRecordProblem } from '../controller/model/observed.js';

/** Where underlay keeps its own state on a node: the managed record, tracked command runs. */
export const NODE_STATE_DIR = '/var/lib/underlay';

export const MANAGED_RECORD_PATH = `${NODE_STATE_DIR}/managed.json`;

export const ManagedRecord = z.strictObject({
  version: z.literal(1),
  resources: z.record(z.string(), z.strictObject({ hash: z.string().min(1), restartPending: z.literal(true).optional() })),
});
export type ManagedRecord = z.infer<typeof ManagedRecord>;
export type ManagedEntries = ManagedRecord['resources'];

export class ManagedRecordError extends Error {
  constructor(readonly detail: string) {
    super(`managed record ${MANAGED_RECORD_PATH}: ${detail}`);
    this.name = 'ManagedRecordError';
  }
}

export function parseManagedRecord(text: string): ManagedEntries {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ManagedRecordError(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = ManagedRecord.safeParse(raw);
  if (!parsed.success) throw new ManagedRecordError(`unexpected shape: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data.resources;
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

function entriesOf(copy: ManagedRecordCopy): ManagedEntries | string {
  if (copy.state === 'absent') return 'is missing';
  if (copy.state === 'unreadable') return 'cannot be read';
  try {
    return parseManagedRecord(copy.text);
  } catch (error) {
    if (!(error instanceof ManagedRecordError)) throw error;
    return copy.text === '' ? 'is empty' : `is corrupt (${error.detail})`;
  }
}

/**
 * What the node's record says, from the record and the copy kept before its last update. A record that is
 * missing means nothing is managed yet (the copy is not consulted: deleting the record is how an operator
 * starts afresh). A record that cannot be used is replaced by the copy, with a note; without a usable copy,
 * the node's entries are unknown, and the problem says what to do.
 */
export function readManagedRecord(record: ManagedRecordCopy, previous: ManagedRecordCopy): { entries: ManagedEntries; problem?: ManagedRecordProblem } {
  if (record.state === 'absent') return { entries: {} };
  const current = entriesOf(record);
  if (typeof current !== 'string') return { entries: current };
  const restored = entriesOf(previous);
  if (typeof restored !== 'string') {
    return {
      entries: restored,
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

/** Canonical (sorted keys), with a final newline: the same entries always give the same bytes. */
export function renderManagedRecord(entries: ManagedEntries): string {
  return canonicalJson({ version: 1, resources: entries }, 1) + '\n';
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
    if (update.restartPending === true) {
      entry ??= update.hashIfNew !== undefined ? { hash: update.hashIfNew } : undefined;
      if (entry) entry = { ...entry, restartPending: true };
    } else if (update.restartPending === false && entry) {
      entry = { hash: entry.hash };
    }
    if (entry) next[key] = entry;
  }
  return next;
}

export interface ManagedUpdate {
  key: string;
  /** Null removes the key: the resource was deleted and is no longer underlay's. Undefined keeps the recorded hash. */
  hash: string | null | undefined;
  /** Sets (true) or clears (false) the entry's owed restart or re-run. */
  restartPending?: boolean;
  /** When setting the flag on a key not recorded yet: the hash to record it with (else nothing is recorded). */
  hashIfNew?: string;
  /** A command's run is recorded by this update: its finished run's marker is removed with it (ADR 0006). */
  retireRun?: true;
}
