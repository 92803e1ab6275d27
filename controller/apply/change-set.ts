/**
 * What an apply did, change by change (after Flux's change sets): applied, failed with its error, or
 * skipped with the reason. The run's status and conditions travel with it, so a caller needs nothing else.
 */
import type { Action, Change } from '../model/change.js';
import type { RunCondition, RunStatus } from '../store/store.js';
import type { ErrorRecord } from '../model/errors.js';
import { byCodeUnit } from '../model/order.js';

/**
 * Why a change was skipped: something before it failed, (`kind`) its kind's apply found nothing it may do
 * (its message says why), or (`stopping`) the controller was asked to stop before it began.
 */
export type SkipCause = 'dependency-failed' | 'node-failed' | 'rollout-halted' | 'rollout-held' | 'kind' | 'stopping';

interface ChangeRef {
  id: string;
  node: string;
  key: string;
  kind: Change['kind'];
  action: Action;
}

/**
 * `code` is the failure's error code (model/errors.ts); for a skip, the code of why: the failed node's error
 * code, DependencyFailed, the halted rollout's reason, or SkippedByKind.
 */
export type ChangeResult =
  | (ChangeRef & { outcome: 'applied'; message?: string })
  | (ChangeRef & { outcome: 'failed'; error: string; code: string })
  | (ChangeRef & { outcome: 'skipped'; cause: SkipCause; reason: string; code: string });

export interface NodeResult {
  /** Every change of the node was applied (or it had none). */
  converged: boolean;
  /** Why the node failed: the first failed change, the health gate, or unreachability. */
  error?: ErrorRecord;
}

export interface ChangeSet {
  runId: number;
  planHash: string;
  /** `interrupted`: the controller was asked to stop and left changes for its next start. */
  status: Exclude<RunStatus, 'running'>;
  /** In plan order. */
  results: ChangeResult[];
  nodes: Record<string, NodeResult>;
  conditions: RunCondition[];
}

export interface NodeSummary {
  created: number;
  updated: number;
  deleted: number;
  restarted: number;
  reloaded: number;
  ran: number;
  failed: number;
  skipped: number;
}

const ACTION_COLUMN: Record<Action, keyof NodeSummary> = {
  create: 'created',
  update: 'updated',
  delete: 'deleted',
  restart: 'restarted',
  reload: 'reloaded',
  run: 'ran',
};

/** Counts per node, sorted by node name, for the summary `apply` prints. */
export function summariseChangeSet(changeSet: ChangeSet): [string, NodeSummary][] {
  const out = new Map<string, NodeSummary>();
  for (const r of changeSet.results) {
    const s = out.get(r.node) ?? { created: 0, updated: 0, deleted: 0, restarted: 0, reloaded: 0, ran: 0, failed: 0, skipped: 0 };
    if (r.outcome === 'applied') s[ACTION_COLUMN[r.action]]++;
    else if (r.outcome === 'failed') s.failed++;
    else s.skipped++;
    out.set(r.node, s);
  }
  return [...out.entries()].sort(([a], [b]) => byCodeUnit(a, b));
}

/** The table's count columns; RELOADED only when something reloaded, as the plan's summary counts reloads. */
function countColumns(rows: readonly [string, NodeSummary][]): [string, keyof NodeSummary][] {
  const reloads = rows.some(([, s]) => s.reloaded > 0);
  return [
    ['CREATED', 'created'],
    ['UPDATED', 'updated'],
    ['DELETED', 'deleted'],
    ['RESTARTED', 'restarted'],
    ...(reloads ? [['RELOADED', 'reloaded'] as [string, keyof NodeSummary]] : []),
    ['RAN', 'ran'],
    ['FAILED', 'failed'],
    ['SKIPPED', 'skipped'],
  ];
}

export function renderChangeSetSummary(changeSet: ChangeSet): string {
  const rows = summariseChangeSet(changeSet);
  const columns = countColumns(rows);
  const head = ['NODE', ...columns.map(([title]) => title)];
  const body = rows.map(([node, s]) => [node, ...columns.map(([, field]) => String(s[field]))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  const lines = [`Run ${changeSet.runId}: ${changeSet.status}`];
  if (rows.length > 0) lines.push(line(head), ...body.map(line));
  const nodesWithFailedChanges = new Set<string>();
  for (const r of changeSet.results) {
    // What a kind chose not to do (a directory left in place) is said as loudly as a failure, without failing.
    if (r.outcome === 'skipped' && r.cause === 'kind') lines.push(`skipped: ${r.id}: ${r.reason}`);
    if (r.outcome !== 'failed') continue;
    nodesWithFailedChanges.add(r.node);
    lines.push(`failed: ${r.id}: ${r.error} [${r.code}]`);
  }
  // Nodes that failed without a failed change of their own (unreachable, refused host key, unhealthy):
  // the table has no row for a node nothing was attempted on, so name them here.
  for (const [node, result] of Object.entries(changeSet.nodes).sort(([a], [b]) => byCodeUnit(a, b))) {
    if (!result.converged && result.error && !nodesWithFailedChanges.has(node)) lines.push(`not converged: ${node}: ${result.error.message} [${result.error.code}]`);
  }
  for (const c of changeSet.conditions) lines.push(`${c.type} (${c.reason}): ${c.message}`);
  return lines.join('\n') + '\n';
}
