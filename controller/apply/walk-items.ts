/**
 * What apply's graph walk visits: the plan's changes, grouped into levels where a kind carries out several
 * at once, and one health gate per rollout batch (the plan's rollout intents). A batched change waits for
 * the previous batch's gate; a gate waits for its batch's changes to settle in any way (it must see
 * failures). Batched are a node's disruptive changes and what they wait for on that node (the file a restart
 * is for goes in the restart's batch); the node's other changes are not held back by batches. A rollout whose
 * members declare gates (ADR 0020) also has a start per batch between the two: the check before the batch,
 * and the drain steps of its nodes, before any of its changes.
 */
import type { Change } from '../model/change.js';
import { indexDependencies, topologicalOrder } from '../model/graph.js';
import type { Plan } from '../model/plan.js';
import type { RolloutIntents } from '../model/rollout.js';
import { targetLabel } from '../model/target.js';
import type { WalkItem } from './graph-walk.js';

/**
 * Changes handed to their target at once: one change, or every change of one kind, target and dependency
 * level when the kind takes levels (KindEffects.applyLevel). None depends on another of the same item.
 */
export interface LevelItem extends WalkItem {
  dependsOn: string[];
  changes: Change[];
}

export interface GateItem extends WalkItem {
  gate: RolloutPosition;
}

/** Before a batch's changes: the check before the batch, and its nodes' drain steps (batch-start.ts). */
export interface BatchStartItem extends WalkItem {
  start: RolloutPosition;
}

export type Item = LevelItem | GateItem | BatchStartItem;

export interface RolloutPosition {
  rollout: RolloutIntents;
  /** The batch's index in rollout.batches (its number less one). */
  batch: number;
}

const gateId = (cluster: string, batch: number): string => `#rollout/${cluster}/batch-${batch + 1}`;
const startId = (cluster: string, batch: number): string => `#rollout/${cluster}/batch-${batch + 1}/start`;

/** What a batch's changes wait for: its start when the rollout has one, else the previous batch's gate. */
function batchEntry(position: RolloutPosition): string | undefined {
  if (position.rollout.gates) return startId(position.rollout.cluster, position.batch);
  return position.batch > 0 ? gateId(position.rollout.cluster, position.batch - 1) : undefined;
}

/** The disruptive changes and, transitively, the changes of the same target they depend on. */
export function batchedChanges(plan: Plan): Set<string> {
  const byId = new Map(plan.changes.map((c) => [c.id, c]));
  const batched = new Set<string>();
  const stack = plan.changes.filter((c) => c.disruptive).map((c) => c.id);
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    if (batched.has(id)) continue;
    batched.add(id);
    const change = byId.get(id)!;
    const lane = targetLabel(change.target);
    for (const d of change.dependsOn) if (byId.has(d) && targetLabel(byId.get(d)!.target) === lane) stack.push(d);
  }
  return batched;
}

/** Which rollout governs a batched change: its own cluster's, or for cluster-less changes (prunes) the first. */
function governing<P extends { rollout: RolloutIntents }>(byNode: ReadonlyMap<string, P[]>, change: Change): P | undefined {
  const positions = byNode.get(targetLabel(change.target));
  if (!positions) return undefined;
  return change.cluster === undefined ? positions[0] : positions.find((p) => p.rollout.cluster === change.cluster);
}

/** Which rollout (and batch) governs a change: none unless it is batched (batchedChanges). */
export function rolloutPositions(plan: Plan): (change: Change) => RolloutPosition | undefined {
  const batched = batchedChanges(plan);
  const byNode = new Map<string, RolloutPosition[]>();
  for (const rollout of plan.rollout) {
    rollout.batches.forEach(({ nodes }, batch) => {
      for (const node of nodes) byNode.set(node, [...(byNode.get(node) ?? []), { rollout, batch }]);
    });
  }
  return (change) => (batched.has(change.id) ? governing(byNode, change) : undefined);
}

/** The rollout that holds a batched change back (its node is held: maxUnavailable is used up), if one does. */
export function heldBy(plan: Plan): (change: Change) => RolloutIntents | undefined {
  const batched = batchedChanges(plan);
  const byNode = new Map<string, { rollout: RolloutIntents }[]>();
  for (const rollout of plan.rollout) for (const node of rollout.held) byNode.set(node, [...(byNode.get(node) ?? []), { rollout }]);
  return (change) => (batched.has(change.id) ? governing(byNode, change)?.rollout : undefined);
}

/**
 * Never two disruptive batches on one node at once (a node in two clusters): a batch with a node that an
 * earlier cluster's rollout (the plan's order, by name) also batches waits for that batch's gate. By gate id.
 */
function sharedNodeWaits(plan: Plan): Map<string, string[]> {
  const out = new Map<string, string[]>();
  plan.rollout.forEach((later, l) => {
    later.batches.forEach((b, j) => {
      const waits = new Set<string>();
      for (const earlier of plan.rollout.slice(0, l)) {
        earlier.batches.forEach((a, i) => {
          if (a.nodes.some((n) => b.nodes.includes(n))) waits.add(gateId(earlier.cluster, i));
        });
      }
      if (waits.size > 0) out.set(gateId(later.cluster, j), [...waits]);
    });
  });
  return out;
}

/**
 * Adds the waits of sharedNodeWaits to each batch's items and start; left out if they would close a cycle
 * (a change of the earlier cluster that depends on one of the later: the walk then orders them by that).
 */
function waitForSharedNodes(plan: Plan, items: readonly WalkItem[], members: ReadonlyMap<string, string[]>): void {
  const waits = sharedNodeWaits(plan);
  if (waits.size === 0) return;
  const byId = new Map(items.map((i) => [i.id, i]));
  const before = new Map(items.map((i) => [i.id, i.dependsOn]));
  for (const [gate, extra] of waits) {
    for (const id of [...(members.get(gate) ?? []), `${gate}/start`]) {
      const item = byId.get(id);
      if (item) item.dependsOn = [...new Set([...item.dependsOn, ...extra])];
    }
  }
  const { dependsOn } = indexDependencies(
    items.map((i) => i.id),
    (i) => items[i]!.dependsOn,
  );
  if (!topologicalOrder(dependsOn).ok) for (const item of items) item.dependsOn = before.get(item.id)!;
}

/**
 * Each change's dependency level: 0 without dependencies among the plan's changes, else one more than its
 * deepest dependency's. Changes of one level never depend on each other, so grouping them keeps the graph acyclic.
 */
function levels(changes: readonly Change[]): number[] {
  const { dependsOn } = indexDependencies(
    changes.map((c) => c.id),
    (i) => changes[i]!.dependsOn,
  );
  const sorted = topologicalOrder(dependsOn);
  const level = new Array<number>(changes.length).fill(0);
  // A cycle is reported by the walk itself (DependencyCycle), before anything runs.
  if (!sorted.ok) return level;
  for (const i of sorted.order) for (const d of dependsOn[i]!) level[i] = Math.max(level[i]!, level[d]! + 1);
  return level;
}

/**
 * The walk's items in plan order (a level goes where its first change was). `takesLevels(kind)`: whether that
 * kind's effects carry out a whole level at once; every other change is an item of its own, as planned.
 */
export function walkItems(plan: Plan, takesLevels: (kind: string) => boolean): Item[] {
  const positionOf = rolloutPositions(plan);
  const level = plan.changes.some((c) => takesLevels(c.kind)) ? levels(plan.changes) : [];
  const itemOf = new Map<string, LevelItem>();
  const members = new Map<string, string[]>();
  const items: LevelItem[] = [];
  const previousGate = new Map<LevelItem, string>();
  plan.changes.forEach((change, i) => {
    const position = positionOf(change);
    const gate = position ? gateId(position.rollout.cluster, position.batch) : '';
    const id = takesLevels(change.kind) ? `#level/${targetLabel(change.target)}/${change.kind}/${level[i]}${gate}` : change.id;
    let item = itemOf.get(id);
    if (!item) {
      item = { id, dependsOn: [], lane: targetLabel(change.target), changes: [] };
      const entry = position ? batchEntry(position) : undefined;
      if (entry !== undefined) previousGate.set(item, entry);
      itemOf.set(id, item);
      items.push(item);
      if (gate !== '') members.set(gate, [...(members.get(gate) ?? []), id]);
    }
    item.changes.push(change);
    itemOf.set(change.id, item);
  });
  // Edges between items: a change's dependencies stand for the items that hold them, then the batch before.
  for (const item of items) {
    const deps = new Set<string>();
    for (const c of item.changes) for (const d of c.dependsOn) deps.add(itemOf.get(d)?.id ?? d);
    const gate = previousGate.get(item);
    if (gate !== undefined) deps.add(gate);
    item.dependsOn = [...deps];
  }
  const gates: GateItem[] = plan.rollout.flatMap((rollout) =>
    rollout.batches.map((_, batch) => {
      const id = gateId(rollout.cluster, batch);
      const start = rollout.gates ? [startId(rollout.cluster, batch)] : [];
      return { id, dependsOn: [...start, ...(members.get(id) ?? [])], afterSettled: true, gate: { rollout, batch } };
    }),
  );
  // A start waits for the batch before to settle in any way: it is visited to say why its batch does not run.
  const starts: BatchStartItem[] = plan.rollout.flatMap((rollout) =>
    rollout.gates ? rollout.batches.map((_, batch) => ({ id: startId(rollout.cluster, batch), dependsOn: batch > 0 ? [gateId(rollout.cluster, batch - 1)] : [], afterSettled: true, start: { rollout, batch } })) : [],
  );
  const all = [...items, ...starts, ...gates];
  waitForSharedNodes(plan, all, members);
  return all;
}
