/**
 * Applies a service change through the node's service manager. The definition files come with the plan
 * (rendered by renderServiceDefinition at plan time); a definition change restarts a running service, and a
 * reload is the manager's (`sv hup`, `systemctl reload`) of what the definition declares.
 */
import type { Change } from '../../controller/model/change.js';
import { APPLIED, type NodeApplyContext, type ApplyOutcome } from '../kind-effects.js';
import { stringField } from '../change-fields.js';
import { keyIdentity } from '../../controller/model/resource-key.js';
import type { DefinitionFile, ServiceManager } from './definition.js';
import { runitBackend } from './runit-backend.js';
import type { ServiceBackend, ServiceInstall } from './service-backend.js';
import { systemdBackend } from './systemd-backend.js';

export function serviceBackend(manager: 'runit' | 'systemd'): ServiceBackend {
  return manager === 'systemd' ? systemdBackend : runitBackend;
}

export async function applyService(faultCtx: NodeApplyContext, change: Change): Promise<ApplyOutcome> {
  // A service's crash point is before its (re)start, not inside the definition file writes.
  const { duringFault, ...ctx } = faultCtx;
  const backend = serviceBackend(managerOf(change, ctx));
  const name = keyIdentity(change.key);
  if (change.action === 'delete') await backend.remove(ctx, name);
  else if (change.action === 'restart') {
    await duringFault?.();
    await backend.restart(ctx, name);
  } else if (change.action === 'reload') {
    await duringFault?.();
    if ((await backend.reload(ctx, name)) === 'started') return { result: 'applied', message: 'was not running: started instead of reloaded' };
  } else await backend.install(ctx, installOf(change, duringFault));
  return APPLIED;
}

/** The manager the plan rendered the definition for; the node's own for a change that does not say. */
function managerOf(change: Change, ctx: NodeApplyContext): ServiceManager {
  const planned = change.after?.serviceManager;
  return planned === 'systemd' || planned === 'runit' ? planned : ctx.serviceManager;
}

/** A create or update: a running service whose definition changed is restarted onto the new one. */
function installOf(change: Change, beforeStart: NodeApplyContext['duringFault']): ServiceInstall {
  const after = change.after;
  const definitionChanged = change.before?.definitionHash !== after?.definitionHash;
  return {
    name: stringField(after, 'name', change.id),
    files: definitionFiles(after?.files, change.id),
    enabled: after?.enabled === true,
    restart: change.action === 'update' && definitionChanged && change.before?.running === true,
    ...(beforeStart ? { beforeStart } : {}),
  };
}

function definitionFiles(value: unknown, id: string): DefinitionFile[] {
  if (!Array.isArray(value) || value.length === 0) throw new TypeError(`change ${id}: no definition files`);
  return value.map((f: unknown) => {
    const r = f as Record<string, unknown>;
    return { path: stringField(r, 'path', id), content: stringField(r, 'content', id), mode: stringField(r, 'mode', id) };
  });
}
