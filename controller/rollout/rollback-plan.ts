/**
 * Automatic rollback, the pure part (ADR 0026): which failed nodes of a batch go back, to which revision, and
 * what is done on each. Only nodes that failed their gates in this rollout are rolled back, and only to the
 * cluster's last good revision (the last whose rollout completed without tripping); a first rollout has
 * none, so nothing is rolled back and the rollout says so. What is re-applied is the desired state of that
 * revision for the node alone, planned against its fresh observation: files and services go back. Guarded
 * commands that ran in the failed revision go back only by the rollback argv their module declares; a
 * command without one is left as it ran. The simulator (rollout-simulator.ts) and apply both use this.
 */
import type { Change } from '../model/change.js';
import type { RolloutIntents } from '../model/rollout.js';
import { targetLabel } from '../model/target.js';
import type { NodeRollback } from './rollout-state.js';

export type RollbackDecision =
  | { action: 'none' }
  | { action: 'no-last-good'; nodes: string[]; message: string }
  | { action: 'roll-back'; revision: string; nodes: string[] };

/** What to do with a batch's failed nodes under the rollout's policy. */
export function rollbackDecision(at: { intents: Pick<RolloutIntents, 'cluster' | 'rollback'>; failed: readonly string[]; lastGoodRevision: string | null | undefined; revision: string }): RollbackDecision {
  if (at.intents.rollback !== 'failed-nodes' || at.failed.length === 0) return { action: 'none' };
  const nodes = [...at.failed];
  if (!at.lastGoodRevision || at.lastGoodRevision === at.revision) {
    const why = at.lastGoodRevision ? `the last good revision is ${at.revision} itself` : `no last good revision: no rollout of cluster ${at.intents.cluster} has completed yet`;
    return { action: 'no-last-good', nodes, message: `not rolled back (${why})` };
  }
  return { action: 'roll-back', revision: at.lastGoodRevision, nodes };
}

/** Of the last good revision's plan, what rollback re-applies to one node of the cluster: that node's changes, nothing else. */
export function rollbackChanges(plan: { changes: readonly Change[] }, at: { cluster: string; node: string }): Change[] {
  const mine = plan.changes.filter((c) => c.target.type === 'node' && targetLabel(c.target) === at.node && (c.cluster === undefined || c.cluster === at.cluster));
  const ids = new Set(mine.map((c) => c.id));
  // Edges to changes left out (another node's, a service target's) are taken as done: the rollback does not wait for them.
  return mine.map((c) => ({ ...c, dependsOn: c.dependsOn.filter((d) => ids.has(d)) }));
}

/** A guarded command's rollback: the run of its declared rollback argv, or why it is left as it ran. */
export type CommandRollback = { change: Change; rollback: Change } | { change: Change; skipped: string };

export const NO_ROLLBACK_ARGV = 'not rolled back (no rollback argv)';

/**
 * The guarded commands that ran on the node in the failed revision, last first (undone in the reverse of
 * the order they ran): each with the run of its rollback argv, or skipped without one.
 */
export function commandRollbacks(ran: readonly Change[], revision: string): CommandRollback[] {
  return ran
    .filter((c) => c.kind === 'command' && c.action === 'run')
    .reverse()
    .map((change): CommandRollback => {
      const argv = change.after?.rollback;
      if (!Array.isArray(argv) || argv.length === 0) return { change, skipped: NO_ROLLBACK_ARGV };
      const after: Record<string, unknown> = { ...change.after, argv };
      delete after.rollback;
      return {
        change,
        rollback: {
          ...change,
          id: `${change.id}#undo`,
          after,
          // Its own run on the node (ADR 0006), never mistaken for the forward run's.
          ...(change.desiredHash !== undefined ? { desiredHash: `${change.desiredHash}.rollback` } : {}),
          reason: `rollback to ${revision}: the rollback argv of ${change.key}, which ran in the failed revision`,
          dependsOn: [],
        },
      };
    });
}

/** The rollback of a node as apply output, the rollout's events and its state say it. */
export const rolledBackLine = (node: string, revision: string): string => `${node} rolled back to ${revision}`;
export const rollbackFailedLine = (node: string): string => `rollback of ${node} failed its gates: ${node} stays down`;

/** What the rollout state keeps of each outcome (rollout-state.ts NodeRollback). */
export const rollbackOutcome = {
  rolledBack: (revision: string): NodeRollback => ({ outcome: 'rolled-back', revision, message: `rolled back to ${revision}, healthy` }),
  failed: (revision: string, why: string): NodeRollback => ({ outcome: 'failed', revision, message: `rollback to ${revision} failed: ${why}; stays down` }),
  notRolledBack: (message: string): NodeRollback => ({ outcome: 'not-rolled-back', message }),
};
