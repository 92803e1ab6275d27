/**
 * Pure diff of a supervised service: its definition (run script or unit), whether it is enabled, and
 * whether it runs. Restarts caused by other resources changing are the planner's business, not this one's.
 */
import { shortHash } from '../../controller/model/sha256.js';
import type { DiffInput, DiffResult } from '../kind.js';
import { missingReason, pruneResult, UNMANAGED_TAKEOVER } from '../diff-support.js';
import { renderServiceDefinition, ServiceDefinitionCache, type ServiceManager } from './definition.js';
import type { DesiredService, ObservedService } from './schema.js';

export function serviceAfter(d: DesiredService, manager: ServiceManager, definitions?: ServiceDefinitionCache): Record<string, unknown> {
  const definition = definitions ? definitions.render(d, manager) : renderServiceDefinition(d, manager);
  // Members in key order: the plan hash then serialises them natively.
  return { definitionHash: definition.hash, enabled: d.enabled, files: definition.files, links: definition.links, name: d.name, serviceManager: manager };
}

function serviceBefore(o: ObservedService): Record<string, unknown> {
  const before: Record<string, unknown> = {};
  if (o.definitionHash !== undefined) before.definitionHash = o.definitionHash;
  before.enabled = o.enabled;
  before.name = o.name;
  before.running = o.running;
  return before;
}

export function diffService(input: DiffInput<DesiredService, ObservedService>): DiffResult | null {
  const { desired, observed, managedHash, serviceManager } = input;
  // A large site runs the same service spec on thousands of nodes: one plan renders each definition once.
  const serviceDefinitions = input.scope?.shared(ServiceDefinitionCache, () => new ServiceDefinitionCache());
  if (desired === null) {
    const pruned = pruneResult(observed, managedHash, observed?.exists ? serviceBefore(observed) : null);
    return pruned && { ...pruned, disruptive: observed?.running === true };
  }
  const after = serviceAfter(desired, serviceManager, serviceDefinitions);
  if (!observed || !observed.exists) {
    return { action: 'create', reason: missingReason(observed), before: null, after, disruptive: false };
  }
  const before = serviceBefore(observed);
  if (managedHash === undefined) {
    return { action: 'update', reason: UNMANAGED_TAKEOVER, before, after, disruptive: true };
  }
  const differences = settingDifferences(desired, observed, after);
  const shouldRun = desired.enabled;
  if (differences.length > 0) {
    if (shouldRun && !observed.running) differences.push('not running');
    return { action: 'update', reason: differences.join(', '), before, after, disruptive: observed.running };
  }
  if (shouldRun && !observed.running) return { action: 'restart', reason: 'not running', before, after, disruptive: true };
  return null;
}

/** How the definition and the enablement differ; whether it runs is diffService's to say. */
function settingDifferences(desired: DesiredService, observed: ObservedService, after: Record<string, unknown>): string[] {
  const differences: string[] = [];
  if (observed.definitionHash !== after.definitionHash) {
    differences.push(`definition changed (sha256 ${shortHash(observed.definitionHash)} -> ${shortHash(after.definitionHash as string)})`);
  }
  if (observed.enabled !== desired.enabled) differences.push(desired.enabled ? 'disabled -> enabled' : 'enabled -> disabled');
  return differences;
}
