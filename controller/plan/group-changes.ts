/**
 * Identical changes across many targets, grouped: a pull request that edits one template for forty nodes
 * reads "node01…node40: ~ file:/etc/x, same change" once, not forty times. Two changes are the same change
 * when everything a reviewer would read of them is alike: mark, kind, resource, action, reason, what was
 * observed and what is wanted (their ids and edges name their own target, so those are left out). Pure.
 */
import { canonicalSha256 } from '../model/canonical-json.js';
import type { Action, Change } from '../model/change.js';
import { byCodeUnit } from '../model/order.js';
import { targetLabel } from '../model/target.js';
import { MARKS, type MarkedChange, type PullRequestMark } from './pull-request-marks.js';

export interface ChangeGroup {
  mark: PullRequestMark;
  kind: string;
  key: string;
  action: Action;
  reason: string;
  disruptive: boolean;
  differs?: string[];
  /** Target labels, in the order they were met (targetLabel: 'node01', 'pool:lab'). */
  targets: string[];
  /** One per target, in the same order. */
  changeIds: string[];
}

function sameChangeKey(m: MarkedChange): string {
  const c = m.change;
  return canonicalSha256({ mark: m.mark, kind: c.kind, key: c.key, action: c.action, reason: c.reason, disruptive: c.disruptive, before: c.before, after: c.after, differs: m.differs ?? null });
}

/** Each change's place in its plan's reading order (dependency order), so groups come in that order too. */
function positions(order: { head: readonly Change[]; base: readonly Change[] }): { head: Map<string, number>; base: Map<string, number> } {
  return { head: new Map(order.head.map((c, i) => [c.id, i])), base: new Map(order.base.map((c, i) => [c.id, i])) };
}

/**
 * The groups, listed by mark (new, changed, gone, unchanged), then by where their first change stands in its
 * plan's reading order: what others live in before what lives in it, as in the per-node listing.
 */
export function groupChanges(marked: readonly MarkedChange[], order: { head: readonly Change[]; base: readonly Change[] }): ChangeGroup[] {
  const at = positions(order);
  const groups = new Map<string, { group: ChangeGroup; first: number }>();
  for (const m of marked) {
    const c = m.change;
    const position = (m.mark === 'gone' ? at.base : at.head).get(c.id) ?? Number.MAX_SAFE_INTEGER;
    const id = sameChangeKey(m);
    const found = groups.get(id);
    if (found) {
      found.group.targets.push(targetLabel(c.target));
      found.group.changeIds.push(c.id);
      found.first = Math.min(found.first, position);
      continue;
    }
    const group: ChangeGroup = { mark: m.mark, kind: c.kind, key: c.key, action: c.action, reason: c.reason, disruptive: c.disruptive, ...(m.differs ? { differs: m.differs } : {}), targets: [targetLabel(c.target)], changeIds: [c.id] };
    groups.set(id, { group, first: position });
  }
  return [...groups.values()]
    .sort((a, b) => MARKS.indexOf(a.group.mark) - MARKS.indexOf(b.group.mark) || a.first - b.first || byCodeUnit(a.group.changeIds[0]!, b.group.changeIds[0]!))
    .map((g) => g.group);
}
