/**
 * The changes of one node: each desired resource diffed against what the probe saw, managed resources no
 * longer in Git pruned, then restarts and re-runs triggered by what changes.
 */
import type { InventoryNode } from '../inventory/inventory.js';
import type { DesiredNode, DesiredResource } from '../model/desired.js';
import type { Change } from '../model/change.js';
import { diffResource, kindOfKey } from './diff-resource.js';
import { resourceHash } from './resource-hash.js';
import { commandAfter } from '../../reconcilers/command/diff.js';
import type { ServiceDefinitionCache } from '../../reconcilers/service/definition.js';

export function changeId(node: string, key: string, action: Change['action']): string {
  return action === 'restart' ? `${node}/${key}#restart` : `${node}/${key}`;
}

export interface NodeChanges {
  /** By resource key; at most one change per resource. */
  byKey: Map<string, Change>;
  /** Change -> ids of the changes that triggered it (restarts, re-runs), to become dependency edges. */
  triggeredBy: Map<Change, string[]>;
}

function diffDesired(
  node: DesiredNode,
  inv: InventoryNode | undefined,
  r: DesiredResource,
  now: string | undefined,
  serviceDefinitions: ServiceDefinitionCache | undefined,
): Change | null {
  // Only guard-less commands compare it before diffing, and hashing every resource of a large site is not free.
  const commandHash = r.spec.kind === 'command' ? resourceHash(r.spec) : undefined;
  const result = diffResource(r.spec.kind, {
    desired: r.spec,
    observed: inv?.resources[r.key],
    managedHash: inv?.managed[r.key]?.hash,
    desiredHash: commandHash,
    serviceManager: node.serviceManager,
    now,
    serviceDefinitions,
  });
  if (!result) return null;
  const { action, before, after, reason } = result;
  const id = changeId(node.name, r.key, action);
  const disruptive = result.disruptive ?? action === 'restart';
  const { cluster, step } = r.origin;
  // Members in key order, here and in the other changes built below: the plan hash then serialises them natively.
  if (action === 'create' || action === 'update' || action === 'run') {
    // Apply records this hash in the node's managed list: what makes a later prune (and a guard-less
    // command's "already ran") possible. Only changed resources pay for hashing.
    const desiredHash = r.spec.kind === 'command' ? commandHash : resourceHash(r.spec);
    return { action, after, before, cluster, dependsOn: [], desiredHash, disruptive, id, key: r.key, kind: r.spec.kind, node: node.name, reason, step };
  }
  return { action, after, before, cluster, dependsOn: [], disruptive, id, key: r.key, kind: r.spec.kind, node: node.name, reason, step };
}

function prunes(node: DesiredNode, inv: InventoryNode, desiredKeys: ReadonlySet<string>, now: string | undefined): Change[] {
  const out: Change[] = [];
  for (const key of Object.keys(inv.managed)) {
    if (desiredKeys.has(key)) continue;
    const kind = kindOfKey(key);
    if (!kind) continue;
    const result = diffResource(kind, {
      desired: null,
      observed: inv.resources[key],
      managedHash: inv.managed[key]?.hash,
      desiredHash: undefined,
      serviceManager: node.serviceManager,
      now,
    });
    if (!result) continue;
    const c: Change = { action: result.action, after: result.after, before: result.before, dependsOn: [], disruptive: result.disruptive ?? false, id: changeId(node.name, key, result.action), key, kind, node: node.name, reason: result.reason };
    out.push(c);
  }
  return out;
}

function triggersOf(r: DesiredResource): readonly string[] {
  if (r.spec.kind === 'service') return r.spec.enabled ? r.spec.restartOnChangeOf : [];
  if (r.spec.kind === 'command') return r.spec.onChangeOf;
  return [];
}

/** A restart or re-run; a re-run carries the command's hash, as its first run did. */
function triggeredChange(
  node: string,
  r: DesiredResource,
  action: 'restart' | 'run',
  before: Record<string, unknown> | null,
  after: Record<string, unknown>,
  reason: string,
): Change {
  const { cluster, step } = r.origin;
  const common = { id: changeId(node, r.key, action), key: r.key, kind: r.spec.kind, node };
  const disruptive = action === 'restart';
  if (r.spec.kind === 'command') {
    return { action, after, before, cluster, dependsOn: [], desiredHash: resourceHash(r.spec), disruptive, ...common, reason, step };
  }
  return { action, after, before, cluster, dependsOn: [], disruptive, ...common, reason, step };
}

const TRIGGERED_SUFFIX = ' changed';

/** The reason of a restart or re-run: the keys of the same node's resources whose changes trigger it. */
function triggeredReason(causes: readonly string[]): string {
  return `${causes.join(', ')}${TRIGGERED_SUFFIX}`;
}

/**
 * Whether a restart or re-run was triggered by a change of the resource `key` on the same node. The plan
 * keeps trigger edges and ordering edges in one `dependsOn` list (its JSON is fixed), so renderers that must
 * tell them apart read it back from the reason triggeredReason wrote.
 */
export function isTriggeredBy(change: Pick<Change, 'action' | 'reason'>, key: string): boolean {
  if ((change.action !== 'restart' && change.action !== 'run') || !change.reason.endsWith(TRIGGERED_SUFFIX)) return false;
  return `, ${change.reason.slice(0, -TRIGGERED_SUFFIX.length)}, `.includes(`, ${key}, `);
}

/** Adds restarts and re-runs until nothing new is triggered: a re-run may itself restart a service. */
function addTriggered(node: DesiredNode, inv: InventoryNode | undefined, result: NodeChanges): void {
  const triggerable = node.resources.filter((r) => triggersOf(r).length > 0);
  let added = true;
  while (added) {
    added = false;
    for (const r of triggerable) {
      const existing = result.byKey.get(r.key);
      if (existing && existing.action !== 'restart') continue;
      const causes = triggersOf(r).filter((k) => result.byKey.has(k));
      if (causes.length === 0) continue;
      const causeIds = causes.map((k) => result.byKey.get(k)!.id);
      if (existing) {
        // Already restarting because it is down: the restart just waits for the new inputs too.
        if (!result.triggeredBy.has(existing)) result.triggeredBy.set(existing, causeIds);
        continue;
      }
      const action = r.spec.kind === 'service' ? 'restart' : 'run';
      // A re-run needs everything a first run needs: apply works from the plan alone.
      const after = r.spec.kind === 'command' ? commandAfter(r.spec) : { name: (r.spec as { name: string }).name };
      const observed = inv?.resources[r.key];
      const c = triggeredChange(node.name, r, action, observed ? { ...observed } : null, after, triggeredReason(causes));
      result.byKey.set(r.key, c);
      result.triggeredBy.set(c, causeIds);
      added = true;
    }
  }
}

export const INTERRUPTED_RESTART_REASON = 'restart interrupted by a controller crash';
export const INTERRUPTED_RERUN_REASON = 're-run interrupted by a controller crash';

/**
 * Restarts and re-runs a dead run owed: the node's record says so (`restartPending`), while the change that
 * caused them is already in place and so no longer shows up in any diff. A resource that has its own change
 * keeps it (apply clears the flag once that change restarted or ran it); a disabled service is not started.
 */
function addOwed(node: DesiredNode, inv: InventoryNode | undefined, result: NodeChanges): void {
  if (!inv) return;
  for (const r of node.resources) {
    if (inv.managed[r.key]?.restartPending !== true || result.byKey.has(r.key)) continue;
    if (r.spec.kind === 'service' && !r.spec.enabled) continue;
    if (r.spec.kind !== 'service' && r.spec.kind !== 'command') continue;
    const action = r.spec.kind === 'service' ? 'restart' : 'run';
    const observed = inv.resources[r.key];
    const after = r.spec.kind === 'command' ? commandAfter(r.spec) : { name: r.spec.name };
    const reason = action === 'restart' ? INTERRUPTED_RESTART_REASON : INTERRUPTED_RERUN_REASON;
    result.byKey.set(r.key, triggeredChange(node.name, r, action, observed ? { ...observed } : null, after, reason));
  }
}

/** `serviceDefinitions` is shared by the nodes of one plan, so each distinct service spec is rendered once. */
export function nodeChanges(
  node: DesiredNode,
  inv: InventoryNode | undefined,
  now: string | undefined,
  serviceDefinitions?: ServiceDefinitionCache,
): NodeChanges {
  const result: NodeChanges = { byKey: new Map(), triggeredBy: new Map() };
  const desiredKeys = new Set<string>();
  for (const r of node.resources) {
    desiredKeys.add(r.key);
    const c = diffDesired(node, inv, r, now, serviceDefinitions);
    if (c) result.byKey.set(r.key, c);
  }
  if (inv) for (const c of prunes(node, inv, desiredKeys, now)) result.byKey.set(c.key, c);
  // Before the triggers: an owed re-run of a command restarts what restartOnChangeOf that command.
  addOwed(node, inv, result);
  addTriggered(node, inv, result);
  return result;
}
