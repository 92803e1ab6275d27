/**
 * The service kind: a program supervised by the node's service manager (runit or systemd), restarted when
 * what it reads changes (`restartOnChangeOf`), or reloaded in place (`reloadOnChangeOf`).
 */
import type { Change } from '../../controller/model/change.js';
import { shortHash } from '../../controller/model/sha256.js';
import { addedLines, clip, NO_DETAILS, str } from '../details-support.js';
import type { ChangeDetails, NodeKind, Ownership } from '../kind.js';
import type { ManagedUpdate } from '../managed-record-format.js';
import { confirmAfterWrite, dropAfterDelete, recordBeforeWrite } from '../ownership.js';
import { diffService } from './diff.js';
import { serviceProbe } from './probe.js';
import { renderService } from './render.js';
import { type DesiredReload, type DesiredService, ObservedService, type ServiceDoc, serviceResource } from './schema.js';

function serviceDetails(c: Change): ChangeDetails {
  const after = c.after;
  if (c.action === 'reload') return { attributes: reloadAttributes(after?.reload as DesiredReload | undefined), content: [] };
  if (!after || !Array.isArray(after.files)) return NO_DETAILS;
  const files = after.files as { path: string; content: string }[];
  const attributes = [`${str(after.serviceManager) ?? ''} definition sha256 ${shortHash(str(after.definitionHash))}, ${after.enabled ? 'enabled' : 'disabled'}`];
  const content = files.flatMap((f) => [`@@ ${f.path} @@`, ...addedLines(f.content)]);
  return { attributes, content: c.action === 'restart' ? [] : clip(content) };
}

/** What a reload does: the manager's reload of the declared signal or command. */
function reloadAttributes(reload: DesiredReload | undefined): string[] {
  if (!reload) return [];
  return ['signal' in reload ? `reload: signal ${reload.signal}` : `reload: command ${JSON.stringify(reload.command)}`];
}

/** A service create/update after which no old process is left running: nothing owed survives it. */
function freshlyStartedOrStopped(change: Change): boolean {
  if (change.action === 'create') return true;
  if (change.action !== 'update') return false;
  const before = change.before ?? {};
  const after = change.after ?? {};
  return before.running !== true || after.enabled !== true || before.definitionHash !== after.definitionHash;
}

const serviceOwnership: Ownership = {
  before: recordBeforeWrite,
  after(change): ManagedUpdate | null {
    const confirmed = confirmAfterWrite(change);
    if (change.action === 'restart' || change.action === 'reload' || freshlyStartedOrStopped(change)) return { key: change.key, hash: undefined, restartPending: false, ...(confirmed ? { applyPending: false } : {}) };
    return dropAfterDelete(change) ?? confirmed;
  },
  owes(change) {
    if (change.action === 'restart' || change.action === 'reload') return true;
    // An update of a running service restarts it once the definition is written (service/apply.ts).
    return change.action === 'update' && change.before?.running === true && change.after?.enabled === true && change.before.definitionHash !== change.after.definitionHash;
  },
};

/** A restart needs only the name; a reload also how it reloads (apply works from the plan alone). */
function serviceTriggerAfter(s: DesiredService): Record<string, unknown> {
  return s.reload ? { name: s.name, reload: s.reload } : { name: s.name };
}

export const serviceKind: NodeKind<ServiceDoc, DesiredService, ObservedService> = {
  kind: 'service',
  target: 'node',
  schema: serviceResource,
  observedSchema: ObservedService,
  identity: { of: (s) => ({ value: s.name, field: ['name'] }), ofSpec: (s) => s.name },
  references: (s) => [
    ...s.restartOnChangeOf.map((resource, i) => ({ field: ['restartOnChangeOf', i], resource })),
    ...s.reloadOnChangeOf.map((resource, i) => ({ field: ['reloadOnChangeOf', i], resource })),
  ],
  paths: (s) => [
    { path: s.command, field: ['command'], program: true },
    ...(s.reload && 'command' in s.reload ? [{ path: s.reload.command[0], field: ['reload', 'command', 0], program: true }] : []),
  ],
  checks(s, report) {
    s.reloadOnChangeOf.forEach((ref, i) => {
      if (s.restartOnChangeOf.includes(ref)) report(['reloadOnChangeOf', i], 'SchemaViolation', `${ref} is also in restartOnChangeOf: a change either restarts or reloads`);
    });
  },
  render: renderService,
  order: { role: 'actor', marksReadiness: true, deletes: 'stop', startsAfterDeletesOfItsKind: true, rank: 2 },
  trigger: {
    action: 'restart',
    active: (s) => s.enabled,
    on: (s) => (s.reloadOnChangeOf ? [...s.restartOnChangeOf, ...s.reloadOnChangeOf].sort() : s.restartOnChangeOf),
    lighter: { action: 'reload', on: (s) => s.reloadOnChangeOf ?? [] },
    after: serviceTriggerAfter,
  },
  diff: diffService,
  details: serviceDetails,
  probe: serviceProbe,
  ownership: serviceOwnership,
};
