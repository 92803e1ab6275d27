/**
 * What a pull request changes: the head's plan and the base's plan, both made against the same inventory
 * snapshot, compared change by change. A change only the head plans is `new`; one both plan, but not alike,
 * is `changed`; one only the base plans is `gone` (the pull request takes it back); one both plan alike is
 * `unchanged`: pending on the base already, not this pull request's doing. Pure and deterministic.
 */
import { canonicalJson, canonicalSha256 } from '../model/canonical-json.js';
import type { Change } from '../model/change.js';
import type { Desired } from '../model/desired.js';
import type { Plan } from '../model/plan.js';
import type { KindRegistry } from '../../reconcilers/registry.js';
import { changesByNode } from './change-details.js';
import type { RevisionInfo } from '../model/revision.js';
import type { Diagnostic } from '../spec/diagnostic.js';
import { byCodeUnit } from '../model/order.js';
import { targetLabel } from '../model/target.js';
import { blastRadius, type BlastRadius } from './blast-radius.js';
import { groupChanges, type ChangeGroup } from './group-changes.js';
import { withKnownContent } from './known-content.js';
import { MARKS, type MarkedChange } from './pull-request-marks.js';

export const PULL_REQUEST_PLAN_API_VERSION = 'underlay.dev/v1alpha1';

/** The base as planned, or why it could not be (then every change of the head counts as new). */
export type PlannedBase = { revision: RevisionInfo; planHash: string } | { revision?: RevisionInfo; problem: string };

export interface PullRequestSummary {
  new: number;
  changed: number;
  gone: number;
  unchanged: number;
  /** Nodes and service targets the pull request's own changes (new, changed, gone) touch. */
  targets: number;
}

export interface PullRequestPlan {
  apiVersion: typeof PULL_REQUEST_PLAN_API_VERSION;
  kind: 'PullRequestPlan';
  base: PlannedBase;
  /** The head's plan as far as a reader needs it: its rollout intents (batches, order, gates) shown in full. */
  head: Pick<Plan, 'revision' | 'summary' | 'rollout' | 'warnings' | 'observation' | 'decommissioned'> & { planHash: string };
  /** The snapshot both were planned against. */
  inventoryHash: string;
  /** When that snapshot was observed, as it says: a reader judges how stale the plan may be. */
  observedAt?: string;
  summary: PullRequestSummary;
  /** Sorted by mark (MARKS), then id. */
  changes: MarkedChange[];
  /** Identical changes across targets, one entry each, in the order a reader takes them (group-changes.ts). */
  groups: ChangeGroup[];
  /** Per cluster the head rolls out: how many members go down at once. */
  blastRadius: BlastRadius[];
}

/** The head plan's changes, as the pull-request plan holds them (all but those gone). */
export function headChanges(pr: Pick<PullRequestPlan, 'changes'>): Change[] {
  return pr.changes.filter((m) => m.mark !== 'gone').map((m) => m.change);
}

/** What must be alike for two plans' changes of one id to be the same change; their edges only order them. */
function comparable(c: Change): unknown {
  return { action: c.action, after: c.after, before: c.before, desiredHash: c.desiredHash, disruptive: c.disruptive, reason: c.reason };
}

/** The fields in which head's change differs from base's, for a reader: 'after.content' rather than "something". */
function differences(base: Change, head: Change): string[] {
  const out: string[] = [];
  for (const field of ['action', 'reason', 'disruptive'] as const) if (base[field] !== head[field]) out.push(field);
  const before = base.after ?? {};
  const after = head.after ?? {};
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(byCodeUnit)) {
    if (canonicalJson(before[key] ?? null) !== canonicalJson(after[key] ?? null)) out.push(`after.${key}`);
  }
  if (out.length === 0 && canonicalJson(base.before) !== canonicalJson(head.before)) out.push('before');
  return out.length > 0 ? out : ['desiredHash'];
}

/** The base's text, where base and head write different texts: what the pull request alters in a pending change. */
function baseContentOf(base: Change, head: Change): { baseContent?: string } {
  const was = base.after?.content;
  const now = head.after?.content;
  return typeof was === 'string' && typeof now === 'string' && was !== now ? { baseContent: was } : {};
}

function markChanges(base: Plan | null, head: Plan): MarkedChange[] {
  const baseById = new Map((base?.changes ?? []).map((c) => [c.id, c]));
  const marked: MarkedChange[] = [];
  for (const change of head.changes) {
    const was = baseById.get(change.id);
    baseById.delete(change.id);
    if (!was) marked.push({ mark: 'new', change });
    else if (canonicalSha256(comparable(was)) === canonicalSha256(comparable(change))) marked.push({ mark: 'unchanged', change });
    else marked.push({ mark: 'changed', change, differs: differences(was, change), ...baseContentOf(was, change) });
  }
  for (const change of baseById.values()) marked.push({ mark: 'gone', change });
  return marked.sort((a, b) => MARKS.indexOf(a.mark) - MARKS.indexOf(b.mark) || byCodeUnit(a.change.id, b.change.id));
}

function summarise(marked: readonly MarkedChange[]): PullRequestSummary {
  const summary: PullRequestSummary = { new: 0, changed: 0, gone: 0, unchanged: 0, targets: 0 };
  const touched = new Set<string>();
  for (const m of marked) {
    summary[m.mark]++;
    if (m.mark !== 'unchanged') touched.add(targetLabel(m.change.target));
  }
  summary.targets = touched.size;
  return summary;
}

export interface PullRequestPlanInput {
  /** Null when the base could not be planned; `baseProblem` says why. */
  base: Plan | null;
  baseProblem?: { revision?: RevisionInfo; problem: string };
  head: Plan;
  /** The base's desired state: what a node at the base's state holds, where the snapshot has only hashes. */
  baseDesired?: Pick<Desired, 'nodes'> | null;
  /** The kinds: they order each plan's changes for reading. */
  registry: KindRegistry;
  /** The snapshot's observation time (Inventory.observedAt), when it has one. */
  observedAt?: string | undefined;
}

/** Why the base has no plan, as the pull-request plan says it: its errors (which the pull request may fix), or `otherwise`. */
export function unplannedBase(revision: RevisionInfo | undefined, diagnostics: readonly Diagnostic[], otherwise: string): { revision?: RevisionInfo; problem: string } {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const info = revision ? { revision: { source: revision.source, ref: revision.ref, commit: revision.commit, worktree: revision.worktree } } : {};
  return { ...info, problem: errors > 0 ? `${errors} error(s) in the base revision` : otherwise };
}

function plannedBase(input: PullRequestPlanInput): PlannedBase {
  if (input.base) return { revision: input.base.revision, planHash: input.base.hash };
  return input.baseProblem ?? { problem: 'the base was not planned' };
}

export function pullRequestPlan(input: PullRequestPlanInput): PullRequestPlan {
  const { base, head } = input;
  const changes = withKnownContent(markChanges(base, head), input.baseDesired ?? null);
  const { revision, summary, rollout, warnings, observation, decommissioned } = head;
  return {
    apiVersion: PULL_REQUEST_PLAN_API_VERSION,
    kind: 'PullRequestPlan',
    base: plannedBase(input),
    head: { revision, summary, rollout, planHash: head.hash, ...(warnings ? { warnings } : {}), ...(observation ? { observation } : {}), ...(decommissioned ? { decommissioned } : {}) },
    inventoryHash: head.inventoryHash,
    ...(input.observedAt === undefined ? {} : { observedAt: input.observedAt }),
    summary: summarise(changes),
    changes,
    groups: groupChanges(changes, { head: changesByNode(head.changes, input.registry), base: changesByNode(base?.changes ?? [], input.registry) }),
    blastRadius: blastRadius(head.rollout, base?.rollout ?? []),
  };
}
