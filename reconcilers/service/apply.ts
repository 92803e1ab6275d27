/**
 * Applies a service change through the node's service manager. The definition files come with the plan
 * (rendered by renderServiceDefinition at plan time); a definition change restarts a running service.
 */
import type { Change } from '../../controller/model/change.js';
import { APPLIED, type NodeApplyContext, type ApplyOutcome } from '../kind-effects.js';
import { stringField } from '../change-fields.js';
import { keyIdentity } from '../../controller/model/resource-key.js';
import type { DefinitionFile } from './definition.js';
import { runitBackend } from './runit-backend.js';
import type { ServiceBackend } from './service-backend.js';
import { systemdBackend } from './systemd-backend.js';

export function serviceBackend(manager: 'runit' | 'systemd'): ServiceBackend {
  return manager === 'systemd' ? systemdBackend : runitBackend;
}

export async function applyService(faultCtx: NodeApplyContext, change: Change): Promise<ApplyOutcome> {
  // A service's crash point is before its (re)start, not inside the definition file writes.
  const { duringFault, ...ctx } = faultCtx;
  const manager = change.after?.serviceManager === 'systemd' || change.after?.serviceManager === 'runit' ? change.after.serviceManager : ctx.serviceManager;
  const backend = serviceBackend(manager);
  const name = keyIdentity(change.key);
  if (change.action === 'delete') await backend.remove(ctx, name);
  else if (change.action === 'restart') {
    await duringFault?.();
    await backend.restart(ctx, name);
  } else {
    const after = change.after;
    const definitionChanged = change.before?.definitionHash !== after?.definitionHash;
    await backend.install(ctx, {
      name: stringField(after, 'name', change.id),
      files: definitionFiles(after?.files, change.id),
      enabled: after?.enabled === true,
      restart: change.action === 'update' && definitionChanged && change.before?.running === true,
      ...(duringFault ? { beforeStart: duringFault } : {}),
    });
  }
  return APPLIED;
}

function definitionFiles(value: unknown, id: string): DefinitionFile[] {
  if (!Array.isArray(value) || value.length === 0) throw new TypeError(`change ${id}: no definition files`);
  return value.map((f: unknown) => {
    const r = f as Record<string, unknown>;
    return { path: stringField(r, 'path', id), content: stringField(r, 'content', id), mode: stringField(r, 'mode', id) };
  });
}
