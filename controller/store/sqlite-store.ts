/**
 * The embedded store: one SQLite file under the state directory (ADR 0003). WAL with synchronous=FULL so
 * that a write acknowledged to the apply engine survives SIGKILL and power loss: the journal's promise
 * ("started" is on disk before a node is touched) depends on it.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock.js';
import type {
  InterruptedRun,
  JournalEntry,
  NodeOutcome,
  NodeStatusRecord,
  RunCondition,
  RunRecord,
  RunStatus,
  Store,
} from './store.js';

export const DATABASE_FILE = 'underlay.db';

/** Each entry moves the schema from version i to i+1; never edit one that has shipped, append a new one. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    revision_commit TEXT NOT NULL,
    plan_hash TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'halted', 'interrupted')),
    conditions TEXT NOT NULL DEFAULT '[]',
    pid INTEGER
  );
  CREATE TABLE journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    change_id TEXT NOT NULL,
    node TEXT NOT NULL,
    key TEXT NOT NULL,
    action TEXT NOT NULL,
    phase TEXT NOT NULL CHECK (phase IN ('started', 'succeeded', 'failed', 'skipped')),
    detail TEXT,
    at TEXT NOT NULL
  );
  CREATE INDEX journal_by_change ON journal (run_id, change_id, seq);
  CREATE TABLE node_status (
    node TEXT PRIMARY KEY,
    last_applied_commit TEXT,
    last_run_id INTEGER REFERENCES runs(id),
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_at TEXT NOT NULL
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface SqliteStoreOptions {
  /** The database file, or ':memory:' in tests that do not care about durability. */
  file: string;
  clock: Clock;
  /** Recorded on runs so recovery never marks a run of a live process as interrupted. Default process.pid. */
  pid?: number;
  /** Default: signal 0 to the pid. */
  isProcessAlive?: (pid: number) => boolean;
}

interface RunRow {
  id: number;
  revision_commit: string;
  plan_hash: string;
  started_at: string;
  finished_at: string | null;
  status: RunStatus;
  conditions: string;
  pid: number | null;
}

interface JournalRow {
  run_id: number;
  change_id: string;
  node: string;
  key: string;
  action: JournalEntry['action'];
  phase: JournalEntry['phase'];
  detail: string | null;
  at: string;
}

interface NodeStatusRow {
  node: string;
  last_applied_commit: string | null;
  last_run_id: number | null;
  failures: number;
  last_error: string | null;
  updated_at: string;
}

/** A database from a newer underlay is refused rather than misread. */
function newerSchema(version: number): Error {
  return new Error(`state database schema version ${version} is newer than this underlay (${SCHEMA_VERSION}); upgrade underlay`);
}

export function stateDatabaseFile(stateDir: string): string {
  return path.join(stateDir, DATABASE_FILE);
}

function defaultIsProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const toRun = (row: RunRow): RunRecord => ({
  id: row.id,
  revisionCommit: row.revision_commit,
  planHash: row.plan_hash,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  status: row.status,
  conditions: JSON.parse(row.conditions) as RunCondition[],
});

const toEntry = (row: JournalRow): JournalEntry => ({
  runId: row.run_id,
  changeId: row.change_id,
  node: row.node,
  key: row.key,
  action: row.action,
  phase: row.phase,
  detail: row.detail,
  at: row.at,
});

const toNodeStatus = (row: NodeStatusRow): NodeStatusRecord => ({
  node: row.node,
  lastAppliedCommit: row.last_applied_commit,
  lastRunId: row.last_run_id,
  failures: row.failures,
  lastError: row.last_error,
  updatedAt: row.updated_at,
});

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly pid: number;
  private readonly isProcessAlive: (pid: number) => boolean;

  /**
   * Runs a read-only connection found `running` with no live process: reported as interrupted by this
   * connection (id -> when it noticed) without writing it down; the next read-write open settles them.
   */
  private readonly noticedInterrupted = new Map<number, string>();
  private readonly readOnly: boolean;

  /** Opens (creating the directory and file if needed) and migrates. */
  static open(options: SqliteStoreOptions): SqliteStore {
    if (options.file !== ':memory:') mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
    return new SqliteStore(new Database(options.file), options, false);
  }

  /**
   * Opens an existing database for reading only (status): creates nothing, migrates nothing. Throws when
   * there is no such file (or directory), or its schema is not this underlay's.
   */
  static openReadOnly(options: SqliteStoreOptions): SqliteStore {
    return new SqliteStore(new Database(options.file, { readonly: true, fileMustExist: true }), options, true);
  }

  private constructor(db: Database.Database, options: SqliteStoreOptions, readOnly: boolean) {
    this.db = db;
    this.clock = options.clock;
    this.pid = options.pid ?? process.pid;
    this.isProcessAlive = options.isProcessAlive ?? defaultIsProcessAlive;
    this.readOnly = readOnly;
    // Another process (status while apply runs) may hold the write lock briefly.
    db.pragma('busy_timeout = 5000');
    if (readOnly) {
      this.checkSchema();
      return;
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    this.migrate();
  }

  private checkSchema(): void {
    const current = this.schemaVersion();
    if (current === SCHEMA_VERSION) return;
    this.db.close();
    throw current > SCHEMA_VERSION
      ? newerSchema(current)
      : new Error(`state database schema version ${current} is older than this underlay's (${SCHEMA_VERSION}); the next apply upgrades it`);
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) throw newerSchema(current);
    for (let version = current; version < SCHEMA_VERSION; version++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[version] as string);
        this.db.pragma(`user_version = ${version + 1}`);
      })();
    }
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** What durability this connection really runs with, for tests and `status --debug`. */
  settings(): { journalMode: string; synchronous: number } {
    return {
      journalMode: this.db.pragma('journal_mode', { simple: true }) as string,
      synchronous: this.db.pragma('synchronous', { simple: true }) as number,
    };
  }

  /** 'ok' when SQLite finds the file sound. */
  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string;
  }

  private now(): string {
    return this.clock.now().toISOString();
  }

  /** Read-only, the runs are reported (and shown by run/runs) as interrupted without being written. */
  recoverInterruptedRuns(): Promise<InterruptedRun[]> {
    const recovered = this.db.transaction(() => {
      const rows = this.db.prepare(`SELECT * FROM runs WHERE status = 'running' ORDER BY id`).all() as RunRow[];
      const dead = rows.filter((r) => r.pid === null || (r.pid !== this.pid && !this.isProcessAlive(r.pid)));
      const at = this.now();
      if (this.readOnly) for (const row of dead) this.noticedInterrupted.set(row.id, at);
      else {
        const mark = this.db.prepare(`UPDATE runs SET status = 'interrupted', finished_at = ? WHERE id = ?`);
        for (const row of dead) mark.run(at, row.id);
      }
      return dead.map((row) => ({
        run: toRun({ ...row, status: 'interrupted', finished_at: at }),
        inFlight: this.inFlightRows(row.id),
      }));
    })();
    return Promise.resolve(recovered);
  }

  private runOf(row: RunRow): RunRecord {
    const noticed = row.status === 'running' ? this.noticedInterrupted.get(row.id) : undefined;
    return toRun(noticed === undefined ? row : { ...row, status: 'interrupted', finished_at: noticed });
  }

  beginRun(input: { revisionCommit: string; planHash: string }): Promise<RunRecord> {
    const startedAt = this.now();
    const result = this.db
      .prepare(`INSERT INTO runs (revision_commit, plan_hash, started_at, status, pid) VALUES (?, ?, ?, 'running', ?)`)
      .run(input.revisionCommit, input.planHash, startedAt, this.pid);
    return Promise.resolve({
      id: Number(result.lastInsertRowid),
      revisionCommit: input.revisionCommit,
      planHash: input.planHash,
      startedAt,
      finishedAt: null,
      status: 'running',
      conditions: [],
    });
  }

  finishRun(runId: number, status: Exclude<RunStatus, 'running'>, conditions: RunCondition[] = []): Promise<void> {
    const changed = this.db
      .prepare(`UPDATE runs SET status = ?, finished_at = ?, conditions = ? WHERE id = ? AND status = 'running'`)
      .run(status, this.now(), JSON.stringify(conditions), runId).changes;
    if (changed !== 1) return Promise.reject(new Error(`run ${runId} is not running`));
    return Promise.resolve();
  }

  journal(entry: Omit<JournalEntry, 'at'>): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO journal (run_id, change_id, node, key, action, phase, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(entry.runId, entry.changeId, entry.node, entry.key, entry.action, entry.phase, entry.detail, this.now());
    return Promise.resolve();
  }

  recordNodeOutcome(runId: number, revisionCommit: string, outcome: NodeOutcome): Promise<void> {
    const at = this.now();
    if (outcome.converged) {
      this.db
        .prepare(
          `INSERT INTO node_status (node, last_applied_commit, last_run_id, failures, last_error, updated_at)
           VALUES (?, ?, ?, 0, NULL, ?)
           ON CONFLICT (node) DO UPDATE SET last_applied_commit = excluded.last_applied_commit,
             last_run_id = excluded.last_run_id, failures = 0, last_error = NULL, updated_at = excluded.updated_at`,
        )
        .run(outcome.node, revisionCommit, runId, at);
    } else {
      this.db
        .prepare(
          `INSERT INTO node_status (node, last_applied_commit, last_run_id, failures, last_error, updated_at)
           VALUES (?, NULL, ?, 1, ?, ?)
           ON CONFLICT (node) DO UPDATE SET last_run_id = excluded.last_run_id, failures = node_status.failures + 1,
             last_error = excluded.last_error, updated_at = excluded.updated_at`,
        )
        .run(outcome.node, runId, outcome.error, at);
    }
    return Promise.resolve();
  }

  run(runId: number): Promise<RunRecord | null> {
    const row = this.db.prepare(`SELECT * FROM runs WHERE id = ?`).get(runId) as RunRow | undefined;
    return Promise.resolve(row ? this.runOf(row) : null);
  }

  runs(limit = 20): Promise<RunRecord[]> {
    const rows = this.db.prepare(`SELECT * FROM runs ORDER BY id DESC LIMIT ?`).all(limit) as RunRow[];
    return Promise.resolve(rows.map((row) => this.runOf(row)));
  }

  journalOf(runId: number): Promise<JournalEntry[]> {
    const rows = this.db.prepare(`SELECT * FROM journal WHERE run_id = ? ORDER BY seq`).all(runId) as JournalRow[];
    return Promise.resolve(rows.map(toEntry));
  }

  private inFlightRows(runId: number): JournalEntry[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM journal j WHERE j.run_id = ? AND j.phase = 'started' AND NOT EXISTS (
           SELECT 1 FROM journal k WHERE k.run_id = j.run_id AND k.change_id = j.change_id AND k.seq > j.seq)
         ORDER BY j.seq`,
      )
      .all(runId) as JournalRow[];
    return rows.map(toEntry);
  }

  inFlightOf(runId: number): Promise<JournalEntry[]> {
    return Promise.resolve(this.inFlightRows(runId));
  }

  nodeStatuses(): Promise<NodeStatusRecord[]> {
    const rows = this.db.prepare(`SELECT * FROM node_status ORDER BY node`).all() as NodeStatusRow[];
    return Promise.resolve(rows.map(toNodeStatus));
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
