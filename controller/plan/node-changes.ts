/**
 * The changes of one node: each desired resource diffed by its kind against what the probe saw, managed
 * resources no longer in Git pruned, then restarts, reloads and re-runs triggered by what changes.
 */
import type { Change } from '../model/change.js';
import type { DesiredNode, DesiredResource } from '../model/desired.js';
import { nodeTarget, type Target } from '../model/target.js';
import type { InventoryNode, ObservedResource } from '../model/observed.js';
import { keyKind } from '../model/resource-key.js';
import type { NodeKind, PlanScope, Trigger } from '../../reconcilers/kind.js';
import type { KindRegistry } from '../../reconcilers/registry.js';
import { resourceHash } from './resource-hash.js';

export function changeId(node: string, key: string, action: Change['action']): string {
  return action === 'restart' || action === 'reload' ? `${node}/${key}#${action}` : `${node}/${key}`;
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

/**
 * A change to exactly the desired state underlay applied there, whose write was seen to succeed: the node
 * moved away from it since (ADR 0028). A pending write, or no record, is work not yet done.
 */
function undoesDrift(recorded: InventoryNode['managed'][string] | undefined, desiredHash: string): true | undefined {
  return recorded !== undefined && recorded.applyPending !== true && recorded.hash === desiredHash ? true : undefined;
}

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
    const drift = result.drift ?? undoesDrift(inv?.managed[r.key], desiredHash());
    return { action, after, before, cluster, dependsOn: [], desiredHash: desiredHash(), disruptive, ...(drift ? { drift } : {}), id, key: r.key, kind: kind.kind, reason, step, target: ctx.target };
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

type TriggeredAction = Trigger<DesiredResource['spec']>['action'] | 'reload';

interface TriggeredChangeOf {
  target: Target;
  resource: DesiredResource;
  kind: NodeKind;
  action: TriggeredAction;
  /** What the probe saw of it. */
  observed: ObservedResource | undefined;
  reason: string;
}

/** A restart, reload or re-run; a re-run carries the resource's hash, as its first run did (apply records it). */
function triggeredChange({ target, resource: r, kind, action, observed, reason }: TriggeredChangeOf): Change {
  const after = kind.trigger!.after(r.spec);
  const before = observed ? { ...observed } : null;
  const { cluster, step } = r.origin;
  const common = { id: changeId(target.name, r.key, action), key: r.key, kind: kind.kind };
  // A reload leaves the process running: it goes through no rollout batch (apply still checks it runs after).
  const disruptive = action === 'restart';
  if (action === 'run') {
    return { action, after, before, cluster, dependsOn: [], desiredHash: resourceHash(kind, r.spec), disruptive, ...common, reason, step, target };
  }
  return { action, after, before, cluster, dependsOn: [], disruptive, ...common, reason, step, target };
}

const TRIGGERED_SUFFIX = ' changed';

/** The reason of a restart, reload or re-run: the keys of the same node's resources whose changes trigger it. */
function triggeredReason(causes: readonly string[]): string {
  return `${causes.join(', ')}${TRIGGERED_SUFFIX}`;
}

/**
 * Whether a restart, reload or re-run was triggered by a change of the resource `key` on the same node. The plan
 * keeps trigger edges and ordering edges in one `dependsOn` list (its JSON is fixed), so renderers that must
 * tell them apart read it back from the reason triggeredReason wrote.
 */
export function isTriggeredBy(change: Pick<Change, 'action' | 'reason'>, key: string): boolean {
  return isTriggered(change) && `, ${change.reason.slice(0, -TRIGGERED_SUFFIX.length)}, `.includes(`, ${key}, `);
}

/** Whether a restart, reload or re-run was triggered by other changes (not owed, nor due of itself: a stopped service, a guard). */
export function isTriggered(change: Pick<Change, 'action' | 'reason'>): boolean {
  const triggered = change.action === 'restart' || change.action === 'reload' || change.action === 'run';
  return triggered && change.reason.endsWith(TRIGGERED_SUFFIX);
}

/** The trigger's action, or its lighter one (a reload) when every key that changed asks only for that. */
function triggeredAction(trigger: Trigger<DesiredResource['spec']>, spec: DesiredResource['spec'], causes: readonly string[]): TriggeredAction {
  const lighter = trigger.lighter;
  if (!lighter) return trigger.action;
  const lighterKeys = lighter.on(spec);
  return causes.every((k) => lighterKeys.includes(k)) ? lighter.action : trigger.action;
}

/**
 * Adds restarts, reloads and re-runs until nothing new is triggered: a re-run may itself restart a service,
 * and a restart cause found in a later round turns an earlier reload into that restart.
 */
function addTriggered(node: DesiredNode, inv: InventoryNode | undefined, result: NodeChanges, ctx: OneNodeContext): void {
  const { registry } = ctx;
  const made = new Set<Change>();
  const triggerable = node.resources.filter((r) => (triggerOf(registry, r)?.on(r.spec).length ?? 0) > 0);
  let added = true;
  while (added) {
    added = false;
    for (const r of triggerable) {
      const existing = result.byKey.get(r.key);
      if (existing && existing.action !== 'restart' && existing.action !== 'reload') continue;
      const trigger = triggerOf(registry, r)!;
      const causes = trigger.on(r.spec).filter((k) => result.byKey.has(k));
      if (causes.length === 0) continue;
      const causeIds = causes.map((k) => result.byKey.get(k)!.id);
      const action = triggeredAction(trigger, r.spec, causes);
      if (existing && (existing.action === 'restart' || action === 'reload')) {
        // Already restarting (because it is down: a stopped service is started, never reloaded) or reloading:
        // it just waits for the new inputs too.
        if (!result.triggeredBy.has(existing)) result.triggeredBy.set(existing, causeIds);
        continue;
      }
      if (existing) result.triggeredBy.delete(existing);
      const kind = kindOfSpec(registry, r);
      const c = triggeredChange({ target: ctx.target, resource: r, kind, action, observed: inv?.resources[r.key], reason: triggeredReason(causes) });
      made.add(c);
      result.byKey.set(r.key, c);
      result.triggeredBy.set(c, causeIds);
      added = true;
    }
  }
  markTriggeredDrift(result, made);
}

/**
 * A restart, reload or re-run that only drift triggers is drift too: it goes where its causes go. Repeated
 * until nothing changes, as a re-run may itself restart a service.
 */
function markTriggeredDrift(result: NodeChanges, made: ReadonlySet<Change>): void {
  const byId = new Map([...result.byKey.values()].map((c) => [c.id, c]));
  let marked = true;
  while (marked) {
    marked = false;
    for (const c of made) {
      if (c.drift || result.byKey.get(c.key) !== c) continue;
      const causes = result.triggeredBy.get(c) ?? [];
      if (causes.length > 0 && causes.every((id) => byId.get(id)?.drift === true)) {
        c.drift = true;
        marked = true;
      }
    }
  }
}

export const INTERRUPTED_RESTART_REASON = 'restart interrupted by a controller crash';
export const INTERRUPTED_RELOAD_OR_RESTART_REASON = 'restart or reload interrupted by a controller crash (a restart does what a reload would)';
export const INTERRUPTED_RERUN_REASON = 're-run interrupted by a controller crash';

function interruptedReason(trigger: Trigger<DesiredResource['spec']>, spec: DesiredResource['spec']): string {
  if (trigger.action === 'run') return INTERRUPTED_RERUN_REASON;
  return (trigger.lighter?.on(spec).length ?? 0) > 0 ? INTERRUPTED_RELOAD_OR_RESTART_REASON : INTERRUPTED_RESTART_REASON;
}

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
    // The record says only that something is owed, and an update of a running service's definition owes a
    // restart even when only reloads are declared: so the trigger's own action, never the lighter one.
    const { action } = trigger;
    const kind = kindOfSpec(registry, r);
    result.byKey.set(r.key, triggeredChange({ target: ctx.target, resource: r, kind, action, observed: inv.resources[r.key], reason: interruptedReason(trigger, r.spec) }));
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
