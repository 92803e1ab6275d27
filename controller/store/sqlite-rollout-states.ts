/** Rollout states in the embedded store (rollout-states.ts): one row per site and cluster, the state as JSON. */
import type Database from 'better-sqlite3';
import { isDeepStrictEqual } from 'node:util';
import type { Clock } from '../clock.js';
import type { RolloutState } from '../rollout/rollout-state.js';
import { RolloutRow, type RolloutRequest, type RolloutStates, type RolloutWrite, type StoredRollout } from './rollout-states.js';
import type { StateSection } from './state-export.js';

/** The migration that adds the table (appended to sqlite-store.ts's list). */
export const ROLLOUTS_MIGRATION = `
  CREATE TABLE rollouts (
    site TEXT NOT NULL,
    cluster TEXT NOT NULL,
    state TEXT NOT NULL,
    request TEXT CHECK (request IN ('pause', 'abort')),
    last_good_revision TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (site, cluster)
  );
`;

interface Row {
  cluster: string;
  state: string;
  request: RolloutRequest | null;
  last_good_revision: string | null;
  updated_at: string;
}

const stored = (row: Row): StoredRollout => ({
  cluster: row.cluster,
  state: JSON.parse(row.state) as RolloutState,
  request: row.request,
  lastGoodRevision: row.last_good_revision,
  updatedAt: row.updated_at,
});

/** Completed within its budget: the breaker never tripped, so the revision is a good one to roll back to. */
const completedGood = (s: RolloutState): boolean => s.status === 'completed' && s.failed.length <= s.budget.allowed;

export class SqliteRolloutStates implements RolloutStates {
  constructor(
    private readonly db: Database.Database,
    readonly site: string,
    private readonly clock: Clock,
  ) {}

  private read(cluster: string): StoredRollout | null {
    const row = this.db.prepare(`SELECT cluster, state, request, last_good_revision, updated_at FROM rollouts WHERE site = ? AND cluster = ?`).get(this.site, cluster) as Row | undefined;
    return row ? stored(row) : null;
  }

  rolloutState(cluster: string): Promise<StoredRollout | null> {
    return Promise.resolve(this.read(cluster));
  }

  rolloutStates(): Promise<StoredRollout[]> {
    return Promise.resolve(this.all());
  }

  changeRolloutState(cluster: string, change: (current: StoredRollout | null) => RolloutWrite | undefined): Promise<StoredRollout | null> {
    const write = this.db.transaction(() => {
      const current = this.read(cluster);
      const next = change(current);
      if (next === undefined) return current;
      const state = next.state ?? current?.state;
      if (state === undefined) throw new Error(`no rollout of cluster ${cluster} to change`);
      const request = next.request !== undefined ? next.request : (current?.request ?? null);
      const lastGood = completedGood(state) ? state.revision : (current?.lastGoodRevision ?? null);
      this.db
        .prepare(
          `INSERT INTO rollouts (site, cluster, state, request, last_good_revision, updated_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (site, cluster) DO UPDATE SET state = excluded.state, request = excluded.request,
             last_good_revision = excluded.last_good_revision, updated_at = excluded.updated_at`,
        )
        .run(this.site, cluster, JSON.stringify(state), request, lastGood, this.clock.now().toISOString());
      return this.read(cluster);
    });
    return Promise.resolve(write.immediate());
  }

  /**
   * The `rollouts` section of a state export (state-export.ts): every cluster's rollout as stored, so a
   * state directory moved elsewhere keeps a halted rollout halted and remembers the last good revision a
   * rollback goes back to. A cluster's rollout here that differs from the export's is a conflict: which of
   * two histories is true cannot be told from the rows.
   */
  section(): StateSection<RolloutRow> {
    const asRow = (r: StoredRollout): RolloutRow => ({ cluster: r.cluster, state: r.state, request: r.request, lastGoodRevision: r.lastGoodRevision, updatedAt: r.updatedAt });
    const same = (a: RolloutRow, b: RolloutRow): boolean => isDeepStrictEqual({ ...a, updatedAt: '' }, { ...b, updatedAt: '' });
    const brief = (r: RolloutRow): string => `revision ${r.state.revision} ${r.state.status}, batches done [${r.state.batchesDone.join(', ')}], last good ${r.lastGoodRevision ?? 'none'}`;
    return {
      name: 'rollouts',
      schema: RolloutRow,
      rows: () => [...this.all()].map(asRow),
      conflicts: (rows) =>
        rows.flatMap((r) => {
          const here = this.read(r.cluster);
          return here && !same(asRow(here), r) ? [`the rollout of cluster ${r.cluster} is here already (${brief(asRow(here))}), in the export (${brief(r)})`] : [];
        }),
      add: (rows) => {
        const insert = this.db.prepare(
          `INSERT INTO rollouts (site, cluster, state, request, last_good_revision, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (site, cluster) DO NOTHING`,
        );
        return rows.reduce((n, r) => n + insert.run(this.site, r.cluster, JSON.stringify(r.state), r.request, r.lastGoodRevision, r.updatedAt).changes, 0);
      },
    };
  }

  private all(): StoredRollout[] {
    const rows = this.db.prepare(`SELECT cluster, state, request, last_good_revision, updated_at FROM rollouts WHERE site = ? ORDER BY cluster`).all(this.site) as Row[];
    return rows.map(stored);
  }
}
