/**
 * How a pull-request plan marks each change (controller/plan/pull-request-plan.ts): what the pull request
 * adds, alters or takes back, and what was pending on the base already.
 */
import type { Change } from '../model/change.js';

export type PullRequestMark = 'new' | 'changed' | 'gone' | 'unchanged';

/** The order marks are listed in: what the pull request does first, what it leaves as it was last. */
export const MARKS: readonly PullRequestMark[] = ['new', 'changed', 'gone', 'unchanged'];

export interface MarkedChange {
  mark: PullRequestMark;
  /** The head's change; for `gone`, the base's. */
  change: Change;
  /** For `changed`: what differs from the base's change (`action`, `reason`, `disruptive`, `after.<field>`). */
  differs?: string[];
  /**
   * What the node holds where the snapshot has only its hash (snapshots carry hashes, not contents): the
   * base's desired content of that very hash, so the change can be shown as a diff of the text.
   */
  beforeContent?: string;
  /** For `changed`: the text the base's change would write, where the head's writes another. */
  baseContent?: string;
}

/** The change as a reader is shown it: with what the node holds, when that is known (known-content.ts). */
export function shownChange(m: MarkedChange): Change {
  if (m.beforeContent === undefined || !m.change.before) return m.change;
  return { ...m.change, before: { ...m.change.before, content: m.beforeContent } };
}
