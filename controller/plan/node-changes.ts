/**
 * The changes of one node: each desired resource diffed by its kind against what the probe saw, managed
 * resources no longer in Git pruned, then restarts and re-runs triggered by what changes.
 */
import type { Change } from '../model/change.js';
import type { DesiredNode, DesiredResource } from '../model/desired.js';
import { nodeTarget, type Target } from '../model/target.js';
import type { InventoryNode, ObservedResource } from '../model/observed.js';
import { keyKind } from '../model/resource-key.js';
import type { NodeKind, PlanScope } from '../../reconcilers/kind.js';
import type { KindRegistry } from '../../reconcilers/registry.js';
import { resourceHash } from './resource-hash.js';

export function changeId(node: string, key: string, action: Change['action']): string {
  return action === 'restart' ? `${node}/${key}#restart` : `${node}/${key}`;
}

export interface NodeChanges {
  /** By resource key; at most one change per resource. */
  byKey: Map<string, Change>;
  /** Change -> ids of the changes that triggered it (restarts, re-runs), to become dependency edges. */
  triggeredBy: Map<Change, string[]>;
}

export interface NodePlanContext {
  registry: KindRegistry;
  now: string | undefined;
  /** Shared by the nodes of one plan (so each distinct service spec is rendered once). */
  scope: PlanScope;
}

/** One node's: its changes share one target value. */
interface OneNodeContext extends NodePlanContext {
  target: Target;
}

function kindOfSpec(registry: KindRegistry, r: DesiredResource): NodeKind {
  const kind = registry.nodeKind(r.spec.kind);
  if (!kind) throw new TypeError(`${r.key}: no node resource kind ${JSON.stringify(r.spec.kind)}`);
  return kind;
}

/** A probe that reports another kind under this key saw something else at the path: treat it as not observed. */
const observedOf = (kind: NodeKind, o: ObservedResource | undefined): ObservedResource | undefined => (o?.kind === kind.kind ? o : undefined);

function diffDesired(node: DesiredNode, inv: InventoryNode | undefined, r: DesiredResource, ctx: OneNodeContext): Change | null {
  const kind = kindOfSpec(ctx.registry, r);
  // Hashed at most once, and only when needed: by a diff that compares it (a guard-less command), or for a change.
  let hash: string | undefined;
  const desiredHash = (): string => (hash ??= resourceHash(kind, r.spec));
  const result = kind.diff({
    desired: r.spec,
    observed: observedOf(kind, inv?.resources[r.key]),
    managedHash: inv?.managed[r.key]?.hash,
    desiredHash,
    serviceManager: node.serviceManager,
    now: ctx.now,
    scope: ctx.scope,
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
    return { action, after, before, cluster, dependsOn: [], desiredHash: desiredHash(), disruptive, id, key: r.key, kind: kind.kind, reason, step, target: ctx.target };
  }
  return { action, after, before, cluster, dependsOn: [], disruptive, id, key: r.key, kind: kind.kind, reason, step, target: ctx.target };
}

function prunes(node: DesiredNode, inv: InventoryNode, desiredKeys: ReadonlySet<string>, ctx: OneNodeContext): Change[] {
  const out: Change[] = [];
  for (const key of Object.keys(inv.managed)) {
    if (desiredKeys.has(key)) continue;
    const kind = ctx.registry.nodeKind(keyKind(key));
    if (!kind) continue;
    const result = kind.diff({
      desired: null,
      observed: observedOf(kind, inv.resources[key]),
      managedHash: inv.managed[key]?.hash,
      desiredHash: undefined,
      serviceManager: node.serviceManager,
      now: ctx.now,
    });
    if (!result) continue;
    const c: Change = { action: result.action, after: result.after, before: result.before, dependsOn: [], disruptive: result.disruptive ?? false, id: changeId(node.name, key, result.action), key, kind: kind.kind, reason: result.reason, target: ctx.target };
    out.push(c);
  }
  return out;
}

/** The keys whose changes restart or re-run this resource, with its kind's trigger; none for what nothing triggers. */
function triggerOf(registry: KindRegistry, r: DesiredResource) {
  const trigger = kindOfSpec(registry, r).trigger;
  return trigger && trigger.active(r.spec) ? trigger : undefined;
}

/** A restart or re-run; a re-run carries the resource's hash, as its first run did (apply records it). */
function triggeredChange(target: Target, r: DesiredResource, kind: NodeKind, why: { before: Record<string, unknown> | null; reason: string }): Change {
  const { before, reason } = why;
  const action = kind.trigger!.action;
  const after = kind.trigger!.after(r.spec);
  const { cluster, step } = r.origin;
  const common = { id: changeId(target.name, r.key, action), key: r.key, kind: kind.kind };
  const disruptive = action === 'restart';
  if (action === 'run') {
    return { action, after, before, cluster, dependsOn: [], desiredHash: resourceHash(kind, r.spec), disruptive, ...common, reason, step, target };
  }
  return { action, after, before, cluster, dependsOn: [], disruptive, ...common, reason, step, target };
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
function addTriggered(node: DesiredNode, inv: InventoryNode | undefined, result: NodeChanges, ctx: OneNodeContext): void {
  const { registry } = ctx;
  const triggerable = node.resources.filter((r) => (triggerOf(registry, r)?.on(r.spec).length ?? 0) > 0);
  let added = true;
  while (added) {
    added = false;
    for (const r of triggerable) {
      const existing = result.byKey.get(r.key);
      if (existing && existing.action !== 'restart') continue;
      const causes = triggerOf(registry, r)!.on(r.spec).filter((k) => result.byKey.has(k));
      if (causes.length === 0) continue;
      const causeIds = causes.map((k) => result.byKey.get(k)!.id);
      if (existing) {
        // Already restarting because it is down: the restart just waits for the new inputs too.
        if (!result.triggeredBy.has(existing)) result.triggeredBy.set(existing, causeIds);
        continue;
      }
      const observed = inv?.resources[r.key];
      const c = triggeredChange(ctx.target, r, kindOfSpec(registry, r), { before: observed ? { ...observed } : null, reason: triggeredReason(causes) });
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
function addOwed(node: DesiredNode, inv: InventoryNode | undefined, result: NodeChanges, ctx: OneNodeContext): void {
  if (!inv) return;
  const { registry } = ctx;
  for (const r of node.resources) {
    if (inv.managed[r.key]?.restartPending !== true || result.byKey.has(r.key)) continue;
    const trigger = triggerOf(registry, r);
    if (!trigger) continue;
    const observed = inv.resources[r.key];
    const reason = trigger.action === 'restart' ? INTERRUPTED_RESTART_REASON : INTERRUPTED_RERUN_REASON;
    result.byKey.set(r.key, triggeredChange(ctx.target, r, kindOfSpec(registry, r), { before: observed ? { ...observed } : null, reason }));
  }
}

export function nodeChanges(node: DesiredNode, inv: InventoryNode | undefined, planContext: NodePlanContext): NodeChanges {
  const ctx: OneNodeContext = { ...planContext, target: nodeTarget(node.name) };
  const result: NodeChanges = { byKey: new Map(), triggeredBy: new Map() };
  const desiredKeys = new Set<string>();
  for (const r of node.resources) {
    desiredKeys.add(r.key);
    const c = diffDesired(node, inv, r, ctx);
    if (c) result.byKey.set(r.key, c);
  }
  if (inv) for (const c of prunes(node, inv, desiredKeys, ctx)) result.byKey.set(c.key, c);
  // Before the triggers: an owed re-run of a command restarts what restartOnChangeOf that command.
  addOwed(node, inv, result, ctx);
  addTriggered(node, inv, result, ctx);
  return result;
}
