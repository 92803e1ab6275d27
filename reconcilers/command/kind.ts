/**
 * The command kind: an argv run on the node when its guards (`creates`, `unless`) say it has work to do, or
 * again when a resource it depends on (`onChangeOf`) changes. A command cannot be undone, except by the
 * rollback argv its module declares, which only an automatic rollback runs (ADR 0026).
 */
import type { Change } from '../../controller/model/change.js';
import { NO_DETAILS, str } from '../details-support.js';
import type { ChangeDetails, NodeKind, Ownership } from '../kind.js';
import { dropAfterDelete } from '../ownership.js';
import { commandAfter, diffCommand } from './diff.js';
import { commandProbe } from './probe.js';
import { renderCommand } from './render.js';
import { type CommandDoc, commandResource, type DesiredCommand, ObservedCommand } from './schema.js';

function commandDetails(c: Change): ChangeDetails {
  const after = c.after;
  if (!after || !Array.isArray(after.argv)) return NO_DETAILS;
  const attributes = [`argv ${JSON.stringify(after.argv)}`];
  if (after.creates !== undefined) attributes.push(`creates ${str(after.creates)}`);
  if (after.unless !== undefined) attributes.push(`unless ${JSON.stringify(after.unless)}`);
  if (after.rollback !== undefined) attributes.push(`rollback ${JSON.stringify(after.rollback)}`);
  return { attributes, content: [] };
}

const guardSaysDone = (change: Change): boolean => {
  const after = change.after ?? {};
  const before = change.before ?? {};
  return (after.creates !== undefined && before.createsExists === true) || (after.unless !== undefined && before.unlessExitCode === 0);
};

/**
 * Recorded only after it ran, so a crash before the run makes the next plan run it again, or adopt the run
 * it left on the node; the same update retires that run's marker (ADR 0006).
 */
const commandOwnership: Ownership = {
  before: () => null,
  after(change) {
    // A run done is no longer pending (a rollback argv that undid the last one left it so).
    if (change.action === 'run') return { key: change.key, hash: change.desiredHash, restartPending: false, applyPending: false, retireRun: true };
    return dropAfterDelete(change);
  },
  /**
   * Not a first run of a guarded command: its guard already decides after a crash, and flagging it would make
   * a run killed mid-command run a second time although `creates` says it did its work.
   */
  owes(change) {
    if (change.action !== 'run') return false;
    const after = change.after ?? {};
    const guarded = after.creates !== undefined || after.unless !== undefined;
    return !guarded || guardSaysDone(change);
  },
  /**
   * A command not recorded yet needs no flag when nothing but the record says it ran (the re-plan runs it as
   * "never run"); one whose guard says it did its work is recorded with the flag, or its re-run would be lost.
   */
  pendingMark(change) {
    const recordIfNew = change.desiredHash !== undefined && guardSaysDone(change);
    return { key: change.key, hash: undefined, restartPending: true, ...(recordIfNew ? { hashIfNew: change.desiredHash } : {}) };
  },
};

export const commandKind: NodeKind<CommandDoc, DesiredCommand, ObservedCommand> = {
  kind: 'command',
  target: 'node',
  schema: commandResource,
  observedSchema: ObservedCommand,
  identity: { of: (c) => ({ value: c.name, field: ['name'] }), ofSpec: (c) => c.name },
  references: (c) => c.onChangeOf.map((resource, i) => ({ field: ['onChangeOf', i], resource })),
  paths: (c) => [
    { path: c.argv[0], field: ['argv', 0], program: true },
    ...(c.rollback ? [{ path: c.rollback[0], field: ['rollback', 0], program: true }] : []),
    { path: c.creates, field: ['creates'] },
  ],
  render: renderCommand,
  order: { role: 'actor', deletes: 'stop', rank: 2 },
  trigger: { action: 'run', active: () => true, on: (c) => c.onChangeOf, after: commandAfter, namesOnlyCauses: true },
  diff: diffCommand,
  details: commandDetails,
  probe: commandProbe,
  ownership: commandOwnership,
};
