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
import { byStemThenNumber } from './name-ranges.js';
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
  return canonicalSha256({ mark: m.mark, kind: c.kind, key: c.key, action: c.action, reason: c.reason, disruptive: c.disruptive, before: c.before, after: c.after, differs: m.differs ?? null, baseContent: m.baseContent ?? null });
}

/** Each change's place in its target's reading order (dependency order), so groups come in that order too. */
function positions(byTarget: readonly [string, readonly Change[]][]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [, changes] of byTarget) changes.forEach((c, i) => out.set(c.id, i));
  return out;
}

interface Placed {
  group: ChangeGroup;
  /** Where in its target's reading order its earliest change stands. */
  first: number;
}

function byReadingOrder(a: Placed, b: Placed): number {
  return (
    MARKS.indexOf(a.group.mark) - MARKS.indexOf(b.group.mark) ||
    a.first - b.first ||
    byStemThenNumber(a.group.targets[0]!, b.group.targets[0]!) ||
    byCodeUnit(a.group.changeIds[0]!, b.group.changeIds[0]!)
  );
}

/**
 * The groups, listed by mark (new, changed, gone, unchanged), then by where their changes stand in their
 * targets' reading order (what others live in before what lives in it, as in the per-node listing), then
 * by their first target.
 */
export function groupChanges(marked: readonly MarkedChange[], order: { head: readonly [string, readonly Change[]][]; base: readonly [string, readonly Change[]][] }): ChangeGroup[] {
  const at = { head: positions(order.head), base: positions(order.base) };
  const groups = new Map<string, Placed>();
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
  return [...groups.values()].sort(byReadingOrder).map((g) => g.group);
}
