/**
 * What watches a site's source for new commits: the local watch, the remote poll. A watch only says that
 * something may have moved; the daemon re-reads the ref itself (level-based), so a watch can fire too often
 * but must never miss a move.
 */
export interface SourceWatch {
  /** Stops watching; no callback runs after the returned promise settles. */
  close(): Promise<void>;
}
