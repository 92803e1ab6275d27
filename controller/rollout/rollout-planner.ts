/**
 * The rollout planner, after Cluster API's planRollingUpdate: from a cluster's effective policy, its members
 * and which of them the plan disrupts, the explicit intents apply carries out batch by batch. Pure and
 * deterministic: the same input gives the same intents, so a pull request shows exactly which node goes when.
 */
import { byCodeUnit } from '../model/order.js';
import type { BatchIntent, RolloutIntents } from '../model/rollout.js';
import { quantityOf, type RolloutOrder, type RolloutPolicy } from '../spec/rollout-policy.js';
import { gatesOf, type NodeGates } from '../model/health-gate.js';

export type { BatchIntent, RolloutIntents } from '../model/rollout.js';

export interface RolloutMember {
  name: string;
  labels: Record<string, string>;
}

export interface RolloutPlanInput {
  cluster: string;
  policy: RolloutPolicy;
  members: RolloutMember[];
  /** Members with a disruptive change in the plan. */
  disrupted: string[];
  /** Members already down before the rollout starts (unreachable, or failing their health check). */
  unavailable: string[];
  /** What members declare (resolve's DesiredCluster.gates): gates besides service-up, drain and undrain steps. */
  gates?: Record<string, NodeGates>;
}

/** The health gates after a batch, by name, when its nodes declare none (ADR 0020). */
export const DEFAULT_GATES = ['service-up'];

/** A run of nodes that may share a batch: one failure domain, or all nodes when the order has none. */
interface Domain {
  value?: string;
  nodes: string[];
}

const NO_LABEL = '';

function orderedDomains(order: RolloutOrder, members: readonly RolloutMember[], nodes: readonly string[]): Domain[] {
  const byName = [...nodes].sort(byCodeUnit);
  if (order === 'name') return [{ nodes: byName }];
  if ('explicit' in order) {
    const listed = order.explicit.filter((n) => nodes.includes(n));
    return [{ nodes: [...listed, ...byName.filter((n) => !listed.includes(n))] }];
  }
  const labelOf = new Map(members.map((m) => [m.name, m.labels[order.label] ?? NO_LABEL]));
  const values = [...new Set(byName.map((n) => labelOf.get(n)!))].sort((a, b) => (a === NO_LABEL ? 1 : b === NO_LABEL ? -1 : byCodeUnit(a, b)));
  return values.map((value) => ({ ...(value === NO_LABEL ? {} : { value }), nodes: byName.filter((n) => labelOf.get(n) === value) }));
}

/**
 * Cuts one domain into batches of at most `room` nodes that are up; a node already down rides along
 * without using up room. `first` is the canary's size when this domain holds the first batch.
 */
function cut(domain: Domain, at: { room: number; down: ReadonlySet<string>; first?: number }): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let up = 0;
  for (const node of domain.nodes) {
    const limit = batches.length === 0 && at.first !== undefined ? at.first : at.room;
    if (!at.down.has(node) && up === limit) {
      batches.push(batch);
      batch = [];
      up = 0;
    }
    batch.push(node);
    if (!at.down.has(node)) up++;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** The batch's gate names: the union over its nodes, service-up first, then in declaration order. */
function batchGates(declared: RolloutPlanInput['gates'], nodes: readonly string[]): string[] {
  if (!nodes.some((n) => declared?.[n] !== undefined)) return DEFAULT_GATES;
  return [...new Set(nodes.flatMap((n) => gatesOf(declared?.[n]).map((g) => g.name)))];
}

export function planRolloutIntents(input: RolloutPlanInput): RolloutIntents {
  const { policy, members } = input;
  const memberNames = new Set(members.map((m) => m.name));
  const maxUnavailable = quantityOf(policy.maxUnavailable, members.length, 1);
  const down = new Set(input.unavailable.filter((n) => memberNames.has(n)));
  const room = maxUnavailable - down.size;
  const disrupted = input.disrupted.filter((n) => memberNames.has(n));
  // With no room, only the members already down may be changed: every other one would be one more down.
  const held = room > 0 ? [] : disrupted.filter((n) => !down.has(n)).sort(byCodeUnit);
  const movable = disrupted.filter((n) => !held.includes(n));
  const canary = policy.canary ? Math.min(policy.canary.nodes, Math.max(room, 1)) : undefined;
  const cuts: { nodes: string[]; domain?: string }[] = [];
  for (const domain of orderedDomains(policy.order, members, movable)) {
    const first = cuts.length === 0 ? canary : undefined;
    for (const nodes of cut(domain, { room: Math.max(room, 1), down, ...(first !== undefined ? { first } : {}) })) {
      cuts.push({ nodes, ...(domain.value !== undefined ? { domain: domain.value } : {}) });
    }
  }
  const batches = cuts.map((c, i): BatchIntent => {
    const isCanary = i === 0 && canary !== undefined;
    const last = i === cuts.length - 1;
    return {
      cluster: input.cluster,
      batch: i + 1,
      nodes: c.nodes,
      canary: isCanary,
      ...(c.domain !== undefined ? { domain: c.domain } : {}),
      gates: batchGates(input.gates, c.nodes),
      soakSeconds: last ? 0 : isCanary ? policy.canary!.soakSeconds : policy.soakSeconds,
      deadlineSeconds: policy.progressDeadlineSeconds,
      downAtOnce: down.size + c.nodes.filter((n) => !down.has(n)).length,
    };
  });
  return {
    cluster: input.cluster,
    members: members.length,
    order: policy.order,
    maxUnavailable,
    failureBudget: quantityOf(policy.failureBudget, members.length, 0),
    onFailure: policy.onFailure,
    rollback: policy.rollback,
    unavailable: [...down].sort(byCodeUnit),
    batches,
    held,
    ...(input.gates !== undefined && Object.keys(input.gates).length > 0 ? { gates: input.gates } : {}),
  };
}
