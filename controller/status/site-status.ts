/**
 * The site's status as conditions (type, status, CamelCase reason, message), per cluster and per node,
 * computed from what the store remembers and, when given, the latest plan. Pure: the CLI and the
 * controller read the store, this decides what it means. A halted rollout stays visible (RolloutHalted)
 * until a later run finishes. A node is Ready=True only for what a run really recorded on it: one the latest
 * run did not reach (halted, interrupted, still running) is Ready=Unknown at the commit it is still at, and
 * the nodes shown are those of the latest run's revision, so a node removed from Git leaves the status.
 */
import type { Plan } from '../model/plan.js';
import { targetLabel } from '../model/target.js';
import type { JournalEntry, NodeStatusRecord, RunRecord } from '../store/store.js';
import { byCodeUnit } from '../model/order.js';

export type ConditionType = 'Ready' | 'Failed' | 'RolloutHalted' | 'RolloutPaused' | 'RolloutAborted' | 'Interrupted' | 'Pending';

/** A rollout stopped by its breaker, an operator or maxUnavailable: loud until resolved (ADR 0019). */
const STOPPED_ROLLOUT = new Set<string>(['RolloutHalted', 'RolloutPaused', 'RolloutAborted']);

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
}

export interface NodeState {
  name: string;
  lastAppliedCommit: string | null;
  conditions: Condition[];
}

export interface ClusterState {
  name: string;
  nodes: string[];
  conditions: Condition[];
}

export interface SiteStatus {
  lastRun: RunRecord | null;
  clusters: ClusterState[];
  nodes: NodeState[];
}

export interface SiteStatusInput {
  /** Newest first, as the store lists them. */
  runs: readonly RunRecord[];
  /** In-flight changes of the newest run when it was interrupted. */
  interruptedInFlight: readonly JournalEntry[];
  nodeStatuses: readonly NodeStatusRecord[];
  /** The newest run's nodes (Store.runNodes): the only nodes shown, with the plan's. Null or absent: every node the store knows. */
  latestRunNodes?: readonly string[] | null;
  /** Nodes the newest run started a change on: reached, although it recorded no outcome for them. */
  latestRunJournalled?: readonly string[];
  /** Cluster -> member nodes, when known (from the latest plan or the site). */
  clusters?: Record<string, readonly string[]>;
  /** The latest plan: its changes are pending work. */
  plan?: Plan;
}

const short = (commit: string): string => commit.slice(0, 12);
const byName = <T extends { name: string }>(a: T, b: T): number => byCodeUnit(a.name, b.name);

/**
 * A failed node's reason is the code of its error (model/errors.ts: Unreachable, HostKeyMismatch, Unhealthy,
 * ManagedRecordCorrupt, LeaseLost ...), as apply recorded it; a failure recorded before codes were is ApplyFailed.
 */
const failedReason = (s: NodeStatusRecord): string => s.lastErrorCode ?? 'ApplyFailed';

/** Clusters a plan knows of: from its changes' owners and its rollouts. */
export function clustersOfPlan(plan: Plan): Record<string, string[]> {
  const members = new Map<string, Set<string>>();
  const add = (cluster: string, node: string): void => {
    members.set(cluster, (members.get(cluster) ?? new Set()).add(node));
  };
  for (const c of plan.changes) if (c.cluster !== undefined) add(c.cluster, targetLabel(c.target));
  for (const r of plan.rollout) for (const n of [...r.batches.flatMap((b) => b.nodes), ...r.held]) add(r.cluster, n);
  return Object.fromEntries([...members].map(([k, v]) => [k, [...v].sort()]));
}

/** What the store and the plan say, gathered once for every node's and cluster's conditions. */
interface StatusFacts {
  lastRun: RunRecord | null;
  /** The latest run that ended on its own: it says whether a rollout is halted; an interrupted one does not clear it. */
  lastFinished: RunRecord | null;
  halts: RunRecord['conditions'];
  clusters: Record<string, readonly string[]>;
  nodeStatus: ReadonlyMap<string, NodeStatusRecord>;
  /** Changes of the latest plan, by target. */
  pending: ReadonlyMap<string, number>;
  /** Changes the interrupted latest run was in the middle of, by node. */
  inFlight: ReadonlyMap<string, string[]>;
  journalled: ReadonlySet<string>;
}

function statusFacts(input: SiteStatusInput): StatusFacts {
  const lastRun = input.runs[0] ?? null;
  const lastFinished = input.runs.find((r) => r.status !== 'running' && r.status !== 'interrupted') ?? null;
  const pending = new Map<string, number>();
  for (const c of input.plan?.changes ?? []) pending.set(targetLabel(c.target), (pending.get(targetLabel(c.target)) ?? 0) + 1);
  const inFlight = new Map<string, string[]>();
  if (lastRun?.status === 'interrupted') {
    for (const e of input.interruptedInFlight) inFlight.set(e.node, [...(inFlight.get(e.node) ?? []), e.changeId]);
  }
  return {
    lastRun,
    lastFinished,
    halts: (lastFinished?.conditions ?? []).filter((c) => STOPPED_ROLLOUT.has(c.type)),
    clusters: input.clusters ?? {},
    nodeStatus: new Map(input.nodeStatuses.map((s) => [s.node, s])),
    pending,
    inFlight,
    journalled: new Set(input.latestRunJournalled ?? []),
  };
}

export function computeSiteStatus(input: SiteStatusInput): SiteStatus {
  const facts = statusFacts(input);
  const known = input.latestRunNodes ?? [...facts.nodeStatus.keys()];
  const names = new Set([...known, ...facts.pending.keys(), ...facts.inFlight.keys(), ...Object.values(facts.clusters).flat()]);
  const nodes = [...names].sort().map((name) => nodeState(name, facts));
  const nodeByName = new Map(nodes.map((n) => [n.name, n]));
  const has = (node: string, type: ConditionType, status: ConditionStatus = 'True'): boolean =>
    nodeByName.get(node)?.conditions.some((c) => c.type === type && c.status === status) ?? false;
  const clusterNames = new Set([...Object.keys(facts.clusters), ...facts.halts.flatMap((h) => (h.cluster ? [h.cluster] : []))]);
  const clusters = [...clusterNames].sort().map((name) => clusterState(name, facts, has));
  return { lastRun: facts.lastRun, clusters: clusters.sort(byName), nodes };
}

/** Why a node at an older commit is not known to be at the latest run's: that run recorded nothing for it. */
function notReached(name: string, s: NodeStatusRecord | undefined, facts: StatusFacts): Condition | undefined {
  const { lastRun } = facts;
  if (!lastRun || !s?.lastAppliedCommit || s.lastRunId === lastRun.id || s.lastAppliedCommit === lastRun.revisionCommit) return undefined;
  const run = `run ${lastRun.id} (revision ${short(lastRun.revisionCommit)}, ${lastRun.status})`;
  const what = facts.journalled.has(name) ? 'did not finish this node' : 'did not reach this node';
  return {
    type: 'Ready',
    status: 'Unknown',
    reason: 'NotReached',
    message: `${run} ${what}; it is still at ${short(s.lastAppliedCommit)} (applied in run ${s.lastRunId ?? '?'})`,
  };
}

/** A failure, an interruption or pending changes: what says a node is not ready. */
function blockingConditions(name: string, s: NodeStatusRecord | undefined, facts: StatusFacts): Condition[] {
  const conditions: Condition[] = [];
  if (s && s.failures > 0) {
    conditions.push({
      type: 'Failed',
      status: 'True',
      reason: failedReason(s),
      message: `${s.lastError ?? 'failed'} (run ${s.lastRunId ?? '?'}; ${s.failures} consecutive failed run(s))`,
    });
  }
  const interrupted = facts.inFlight.get(name);
  if (interrupted && facts.lastRun) {
    conditions.push({
      type: 'Interrupted',
      status: 'True',
      reason: 'ApplyInterrupted',
      message: `run ${facts.lastRun.id} stopped during ${interrupted.join(', ')}; the next apply re-observes and re-plans`,
    });
  }
  const count = facts.pending.get(name);
  if (count !== undefined) conditions.push({ type: 'Pending', status: 'True', reason: 'ChangesPending', message: `${count} change(s) in the latest plan` });
  return conditions;
}

function nodeState(name: string, facts: StatusFacts): NodeState {
  const s = facts.nodeStatus.get(name);
  const conditions = blockingConditions(name, s, facts);
  // Without a blocking condition, a node the latest run did not reach is only not known to be at its
  // revision; a halted rollout's note stays beside that.
  const unknown = conditions.length > 0 ? undefined : notReached(name, s, facts);
  const haltedHere = facts.halts.find((h) => h.cluster !== undefined && (facts.clusters[h.cluster] ?? []).includes(name));
  if (!facts.pending.has(name) && haltedHere && s?.lastRunId !== facts.lastFinished?.id) {
    conditions.push({ type: 'Pending', status: 'True', reason: haltedHere.type, message: `not rolled out: ${haltedHere.message}` });
  }
  const reason = conditions[0];
  if (unknown) conditions.push(unknown);
  else if (reason) conditions.push({ type: 'Ready', status: 'False', reason: reason.reason, message: reason.message });
  else if (s?.lastAppliedCommit) {
    conditions.push({ type: 'Ready', status: 'True', reason: 'Converged', message: `applied ${short(s.lastAppliedCommit)} in run ${s.lastRunId ?? '?'}` });
  } else conditions.push({ type: 'Ready', status: 'False', reason: 'NeverApplied', message: 'no apply has converged this node yet' });
  return { name, lastAppliedCommit: s?.lastAppliedCommit ?? null, conditions };
}

type NodeHas = (node: string, type: ConditionType, status?: ConditionStatus) => boolean;

function clusterState(name: string, facts: StatusFacts, has: NodeHas): ClusterState {
  const members = [...(facts.clusters[name] ?? [])].sort();
  const conditions: Condition[] = [];
  const halt = facts.halts.find((h) => h.cluster === name);
  if (halt) conditions.push({ type: halt.type as ConditionType, status: 'True', reason: halt.reason, message: halt.message });
  const failed = members.filter((n) => has(n, 'Failed'));
  if (failed.length > 0) conditions.push({ type: 'Failed', status: 'True', reason: 'NodesFailed', message: `failed: ${failed.join(', ')}` });
  const interrupted = members.filter((n) => has(n, 'Interrupted'));
  if (interrupted.length > 0) conditions.push({ type: 'Interrupted', status: 'True', reason: 'ApplyInterrupted', message: `interrupted on: ${interrupted.join(', ')}` });
  const waiting = members.filter((n) => has(n, 'Pending'));
  if (waiting.length > 0) conditions.push({ type: 'Pending', status: 'True', reason: 'ChangesPending', message: `pending on: ${waiting.join(', ')}` });
  conditions.push(clusterReady(conditions[0], members, facts, has));
  return { name, nodes: members, conditions };
}

function clusterReady(blocking: Condition | undefined, members: readonly string[], facts: StatusFacts, has: NodeHas): Condition {
  if (blocking) return { type: 'Ready', status: 'False', reason: blocking.reason, message: blocking.message };
  const notReady = members.filter((n) => has(n, 'Ready', 'False'));
  if (notReady.length > 0) return { type: 'Ready', status: 'False', reason: 'NodesNotReady', message: `not ready: ${notReady.join(', ')}` };
  const unreached = members.filter((n) => has(n, 'Ready', 'Unknown'));
  if (unreached.length > 0) return { type: 'Ready', status: 'Unknown', reason: 'NotReached', message: `not reached by run ${facts.lastRun?.id ?? '?'}: ${unreached.join(', ')}` };
  return { type: 'Ready', status: 'True', reason: 'AllNodesReady', message: `${members.length} node(s) ready` };
}

function conditionLines(conditions: readonly Condition[], indent: string): string[] {
  return conditions.map((c) => `${indent}${c.type}=${c.status} ${c.reason}: ${c.message}`);
}

export function renderSiteStatusText(status: SiteStatus): string {
  const lines: string[] = [];
  const run = status.lastRun;
  lines.push(
    run
      ? `Last run ${run.id}: ${run.status} (revision ${short(run.revisionCommit)}, plan ${short(run.planHash)}, started ${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ''})`
      : 'No runs yet.',
  );
  for (const cluster of status.clusters) {
    lines.push('', `Cluster ${cluster.name} (${cluster.nodes.join(', ') || 'no known nodes'})`);
    lines.push(...conditionLines(cluster.conditions, '  '));
  }
  if (status.nodes.length > 0) lines.push('', 'Nodes');
  for (const node of status.nodes) {
    lines.push(`  ${node.name}${node.lastAppliedCommit ? ` @ ${short(node.lastAppliedCommit)}` : ''}`);
    lines.push(...conditionLines(node.conditions, '    '));
  }
  return lines.join('\n') + '\n';
}
