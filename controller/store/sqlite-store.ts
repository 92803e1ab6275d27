/**
 * The embedded store: one SQLite file under the state directory (ADR 0003). WAL with synchronous=FULL so
 * that a write acknowledged to the apply engine survives SIGKILL and power loss: the journal's promise
 * ("started" is on disk before a node is touched) depends on it.
 *
 * Each connection is one site's (store.ts): runs, node status, the site lock and the recorded leases carry
 * the site id; the journal belongs to its run, and so to the run's site.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock.js';
import { UnderlayError } from '../model/errors.js';
import type { Ledger } from './ledger.js';
import { POOL_ALLOCATIONS_MIGRATION, SqliteLedger } from './sqlite-ledger.js';
import { exportState, importState, type StateExport, type StateSection } from './state-export.js';
import { ISSUED_CERTIFICATES_MIGRATION, SqliteIssuedCertificates } from './sqlite-issued-certificates.js';
import { ROLLOUTS_MIGRATION, SqliteRolloutStates } from './sqlite-rollout-states.js';
import type { RolloutWrite, StoredRollout } from './rollout-states.js';
import { DRIFT_LEDGER_MIGRATION, SqliteDriftLedger } from './sqlite-drift-ledger.js';
import { ALERT_INCIDENTS_MIGRATION, SqliteAlertIncidents } from './sqlite-alert-incidents.js';
import type { StoredIncident } from './incident-store.js';
import { SITE_CONTROLS_MIGRATION, SqliteSiteControls } from './sqlite-site-controls.js';
import { DEFAULT_DELIVERIES_REMEMBERED } from '../watch/delivery-log.js';
import { SqliteWebhookDeliveries, WEBHOOK_DELIVERIES_MIGRATION } from './sqlite-webhook-deliveries.js';
import { CONTROLLER_REGISTRATIONS_MIGRATION, processStartTicks, SqliteControllerRegistrations } from './controller-registration.js';
import { currentProcess, holderIsDead, isProcessAlive as defaultIsProcessAlive, LockHolder, NodeLease, type ProcessIdentity } from './lock-holder.js';
import type {
  InterruptedRun,
  JournalEntry,
  JournalInput,
  NodeOutcome,
  NodeStatusRecord,
  RunCondition,
  RunRecord,
  RunStatus,
  SiteLock,
  SiteLockResult,
  Store,
} from './store.js';

export const DATABASE_FILE = 'underlay.db';

/**
 * Each entry moves the schema from version i to i+1; never edit one that has shipped, append a new one. A
 * function gets the database and the site id of the connection that migrates (a writer: apply).
 */
type Migration = string | ((db: Database.Database, site: string) => void);

export const MIGRATIONS: readonly Migration[] = [
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
  // Sites (ADR 0008). History from before had no site: it is the site of the first apply that opens it.
  (db, site) => {
    db.exec(`
      ALTER TABLE runs ADD COLUMN site TEXT NOT NULL DEFAULT '';
      CREATE INDEX runs_by_site ON runs (site, id);
      CREATE TABLE node_status_by_site (
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        last_applied_commit TEXT,
        last_run_id INTEGER REFERENCES runs(id),
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (site, node)
      );
      INSERT INTO node_status_by_site (site, node, last_applied_commit, last_run_id, failures, last_error, updated_at)
        SELECT '', node, last_applied_commit, last_run_id, failures, last_error, updated_at FROM node_status;
      DROP TABLE node_status;
      ALTER TABLE node_status_by_site RENAME TO node_status;
      CREATE TABLE site_locks (
        site TEXT PRIMARY KEY,
        token TEXT NOT NULL,
        holder TEXT NOT NULL,
        acquired_at TEXT NOT NULL
      );
      CREATE TABLE node_leases (
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        lease TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (site, node)
      );
    `);
    db.prepare(`UPDATE runs SET site = ? WHERE site = ''`).run(site);
    db.prepare(`UPDATE node_status SET site = ? WHERE site = ''`).run(site);
  },
  // The node set of each run: nodes removed from Git leave the status. node_count is NULL for older runs (set unknown).
  `
  ALTER TABLE runs ADD COLUMN node_count INTEGER;
  CREATE TABLE run_nodes (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    node TEXT NOT NULL,
    PRIMARY KEY (run_id, node)
  ) WITHOUT ROWID;
  `,
  // Error codes beside the messages (model/errors.ts), so status takes reasons from codes, not from message text.
  `
  ALTER TABLE journal ADD COLUMN code TEXT;
  ALTER TABLE node_status ADD COLUMN last_error_code TEXT;
  `,
  // The IP pools' ledger (sqlite-ledger.ts).
  POOL_ALLOCATIONS_MIGRATION,
  // The certificates the site's CAs issued (sqlite-issued-certificates.ts).
  ISSUED_CERTIFICATES_MIGRATION,
  // Each cluster's rollout state (sqlite-rollout-states.ts, ADR 0019).
  ROLLOUTS_MIGRATION,
  // The drift ledger (sqlite-drift-ledger.ts).
  DRIFT_LEDGER_MIGRATION,
  // Open alert incidents (sqlite-alert-incidents.ts).
  ALERT_INCIDENTS_MIGRATION,
  // What operators told the controller about a site: suspended, the approved plan (sqlite-site-controls.ts).
  SITE_CONTROLS_MIGRATION,
  // The webhook deliveries each site accepted, so a replay is dropped across restarts (sqlite-webhook-deliveries.ts).
  WEBHOOK_DELIVERIES_MIGRATION,
  // Which controller runs the site, so a CLI apply refuses while it does (controller-registration.ts).
  CONTROLLER_REGISTRATIONS_MIGRATION,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface SqliteStoreOptions {
  /** The database file, or ':memory:' in tests that do not care about durability. */
  file: string;
  /** The site id this connection reads and writes (the Site document's name). */
  site: string;
  clock: Clock;
  /** Recorded on runs so recovery never marks a run of a live process as interrupted. Default process.pid. */
  pid?: number;
  /** Default: signal 0 to the pid. */
  isProcessAlive?: (pid: number) => boolean;
  /** A pid's start time (controller-registration.ts), to tell a controller from a process that reused its pid. Default: /proc. */
  processStartTicks?: (pid: number) => string;
  /** This process as lock holders name it (lock-holder.ts), to judge whether a lock's holder died. Default: the real one, with `pid`. */
  process?: ProcessIdentity;
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
  code: string | null;
  at: string;
}

interface NodeStatusRow {
  site: string;
  node: string;
  last_applied_commit: string | null;
  last_run_id: number | null;
  failures: number;
  last_error: string | null;
  last_error_code: string | null;
  updated_at: string;
}

const schemaError = (code: 'StateSchemaTooNew' | 'StateSchemaTooOld', version: number, message: string): UnderlayError<{ version: number }> =>
  new UnderlayError({ code, message, data: { version } });

/** A database from a newer underlay is refused rather than misread. */
function newerSchema(version: number): UnderlayError {
  return schemaError('StateSchemaTooNew', version, `state database schema version ${version} is newer than this underlay (${SCHEMA_VERSION}); upgrade underlay`);
}

export function stateDatabaseFile(stateDir: string): string {
  return path.join(stateDir, DATABASE_FILE);
}

interface SiteLockRow {
  token: string;
  holder: string;
}

const toSiteLock = (row: SiteLockRow): SiteLock => ({ token: row.token, holder: LockHolder.parse(JSON.parse(row.holder)) });

/** The sites a database holds anything of, sorted; empty for a database with no runs and no locks. */
function sitesOf(db: Database.Database): string[] {
  // A site may hold allocations and nothing else yet (a state import); databases from before the ledger have no such table.
  // Likewise rollouts (a state import of a site whose rollout halted before anything else was applied here).
  const tableUnion = (table: string): string => (db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) ? ` UNION SELECT site FROM ${table}` : '');
  const rows = db.prepare(`SELECT site FROM runs UNION SELECT site FROM site_locks UNION SELECT site FROM node_status${tableUnion('pool_allocations')}${tableUnion('rollouts')} ORDER BY site`).all() as { site: string }[];
  return rows.map((r) => r.site);
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
  code: row.code,
  at: row.at,
});

const toNodeStatus = (row: NodeStatusRow): NodeStatusRecord => ({
  node: row.node,
  lastAppliedCommit: row.last_applied_commit,
  lastRunId: row.last_run_id,
  failures: row.failures,
  lastError: row.last_error,
  lastErrorCode: row.last_error_code,
  updatedAt: row.updated_at,
});

export class SqliteStore implements Store {
  readonly site: string;
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly pid: number;
  private readonly isProcessAlive: (pid: number) => boolean;
  private readonly process: ProcessIdentity;
  private readonly startTicks: (pid: number) => string;

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

  /**
   * The sites an existing database holds (for `status` without `--site`), read only. Throws as
   * openReadOnly does when there is no database or its schema is not this underlay's.
   */
  static sitesIn(file: string): string[] {
    const store = new SqliteStore(new Database(file, { readonly: true, fileMustExist: true }), { file, site: '', clock: { now: () => new Date(0) } }, true);
    try {
      return sitesOf(store.db);
    } finally {
      store.db.close();
    }
  }

  private constructor(db: Database.Database, options: SqliteStoreOptions, readOnly: boolean) {
    this.db = db;
    this.site = options.site;
    this.clock = options.clock;
    this.pid = options.pid ?? process.pid;
    this.isProcessAlive = options.isProcessAlive ?? defaultIsProcessAlive;
    this.process = options.process ?? { ...currentProcess(), pid: this.pid };
    this.startTicks = options.processStartTicks ?? processStartTicks;
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
      : schemaError('StateSchemaTooOld', current, `state database schema version ${current} is older than this underlay's (${SCHEMA_VERSION}); the next apply upgrades it`);
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) throw newerSchema(current);
    for (let version = current; version < SCHEMA_VERSION; version++) {
      const migration = MIGRATIONS[version] as Migration;
      this.db.transaction(() => {
        if (typeof migration === 'string') this.db.exec(migration);
        else migration(this.db, this.site);
        this.db.pragma(`user_version = ${version + 1}`);
      })();
    }
  }

  /** The site's IP pool ledger, in the same database (and with the same durability) as the journal. */
  ledger(): Ledger {
    return new SqliteLedger(this.db, this.site, this.clock);
  }

  /** The site's state nothing can rebuild, by section (state-export.ts). */
  stateSections(): StateSection[] {
    return [new SqliteLedger(this.db, this.site, this.clock).section() as StateSection, this.issuedCertificates().section() as StateSection, this.rollouts.section() as StateSection];
  }

  exportState(): StateExport {
    return exportState(this.site, this.clock.now().toISOString(), this.stateSections());
  }

  /** All sections in one IMMEDIATE transaction: all or nothing. */
  importState(doc: StateExport): Record<string, number> {
    return importState(doc, this.stateSections(), (fn) => this.db.transaction(fn).immediate());
  }

  /** The certificates the site's CAs issued, in the same database (and with the same durability) as the journal. */
  issuedCertificates(): SqliteIssuedCertificates {
    return new SqliteIssuedCertificates(this.db, this.site, this.clock);
  }

  rolloutState(cluster: string): Promise<StoredRollout | null> {
    return this.rollouts.rolloutState(cluster);
  }

  rolloutStates(): Promise<StoredRollout[]> {
    return this.rollouts.rolloutStates();
  }

  changeRolloutState(cluster: string, change: (current: StoredRollout | null) => RolloutWrite | undefined): Promise<StoredRollout | null> {
    return this.rollouts.changeRolloutState(cluster, change);
  }

  private get rollouts(): SqliteRolloutStates {
    return new SqliteRolloutStates(this.db, this.site, this.clock);
  }

  /** The commit of the site's newest run that completed: the revision drift is measured against (null: none did). */
  lastAppliedCommit(): Promise<string | null> {
    const row = this.db.prepare(`SELECT revision_commit FROM runs WHERE site = ? AND status = 'succeeded' ORDER BY id DESC LIMIT 1`).get(this.site) as { revision_commit: string } | undefined;
    return Promise.resolve(row?.revision_commit ?? null);
  }

  /** The site's drift ledger (controller/drift/drift-ledger.ts). */
  driftLedger<R>(): SqliteDriftLedger<R> {
    return new SqliteDriftLedger<R>(this.db, this.site);
  }

  /** The open alert incidents of every site in this database (the alerter serves them all). */
  alertIncidents<I extends StoredIncident>(): SqliteAlertIncidents<I> {
    return new SqliteAlertIncidents<I>(this.db);
  }

  /** Which controller runs this site (controller-registration.ts). */
  controllerRegistrations(): SqliteControllerRegistrations {
    return new SqliteControllerRegistrations(this.db, this.site, this.clock, { me: this.process, alive: this.isProcessAlive, startTicks: this.startTicks });
  }

  /** What operators told the controller about this site (suspended, the approved plan). */
  siteControls(): SqliteSiteControls {
    return new SqliteSiteControls(this.db, this.site, this.clock);
  }

  /** The webhook deliveries this site accepted, the newest `capacity` (replays dropped across restarts). */
  webhookDeliveries(capacity = DEFAULT_DELIVERIES_REMEMBERED): SqliteWebhookDeliveries {
    return new SqliteWebhookDeliveries(this.db, this.site, this.clock, capacity);
  }

  /**
   * Retention: the site's runs beyond the newest `keep`, or finished before `finishedBefore`, go with their
   * journals. A run still running, or the last run of a node's status, stays whatever its age: status
   * reads it. Returns how many runs went.
   */
  pruneRuns(options: { keep: number; finishedBefore: Date }): Promise<number> {
    const pruned = this.db.transaction(() => {
      const rows = this.db
        .prepare(
          `SELECT id FROM runs WHERE site = ? AND status != 'running'
             AND id NOT IN (SELECT last_run_id FROM node_status WHERE site = ? AND last_run_id IS NOT NULL)
             AND (id NOT IN (SELECT id FROM runs WHERE site = ? ORDER BY id DESC LIMIT ?) OR finished_at < ?)`,
        )
        .all(this.site, this.site, this.site, options.keep, options.finishedBefore.toISOString()) as { id: number }[];
      const drop = ['journal', 'run_nodes'].map((table) => this.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`));
      const dropRun = this.db.prepare(`DELETE FROM runs WHERE id = ?`);
      for (const { id } of rows) {
        for (const statement of drop) statement.run(id);
        dropRun.run(id);
      }
      return rows.length;
    })();
    return Promise.resolve(pruned);
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
      const rows = this.db.prepare(`SELECT * FROM runs WHERE site = ? AND status = 'running' ORDER BY id`).all(this.site) as RunRow[];
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

  beginRun(input: { revisionCommit: string; planHash: string; nodes: readonly string[] }): Promise<RunRecord> {
    const startedAt = this.now();
    const nodes = [...new Set(input.nodes)];
    const id = this.db.transaction(() => {
      const result = this.db
        .prepare(`INSERT INTO runs (site, revision_commit, plan_hash, started_at, status, pid, node_count) VALUES (?, ?, ?, ?, 'running', ?, ?)`)
        .run(this.site, input.revisionCommit, input.planHash, startedAt, this.pid, nodes.length);
      const runId = Number(result.lastInsertRowid);
      const add = this.db.prepare(`INSERT INTO run_nodes (run_id, node) VALUES (?, ?)`);
      for (const node of nodes) add.run(runId, node);
      return runId;
    })();
    return Promise.resolve({
      id,
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
      .prepare(`UPDATE runs SET status = ?, finished_at = ?, conditions = ? WHERE id = ? AND site = ? AND status = 'running'`)
      .run(status, this.now(), JSON.stringify(conditions), runId, this.site).changes;
    if (changed !== 1) return Promise.reject(new Error(`run ${runId} is not running`));
    return Promise.resolve();
  }

  journal(entry: JournalInput): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO journal (run_id, change_id, node, key, action, phase, detail, code, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(entry.runId, entry.changeId, entry.node, entry.key, entry.action, entry.phase, entry.detail, entry.code ?? null, this.now());
    return Promise.resolve();
  }

  recordNodeOutcome(runId: number, revisionCommit: string, outcome: NodeOutcome): Promise<void> {
    const at = this.now();
    if (outcome.converged) {
      this.db
        .prepare(
          `INSERT INTO node_status (site, node, last_applied_commit, last_run_id, failures, last_error, last_error_code, updated_at)
           VALUES (?, ?, ?, ?, 0, NULL, NULL, ?)
           ON CONFLICT (site, node) DO UPDATE SET last_applied_commit = excluded.last_applied_commit,
             last_run_id = excluded.last_run_id, failures = 0, last_error = NULL, last_error_code = NULL, updated_at = excluded.updated_at`,
        )
        .run(this.site, outcome.node, revisionCommit, runId, at);
    } else {
      this.db
        .prepare(
          `INSERT INTO node_status (site, node, last_applied_commit, last_run_id, failures, last_error, last_error_code, updated_at)
           VALUES (?, ?, NULL, ?, 1, ?, ?, ?)
           ON CONFLICT (site, node) DO UPDATE SET last_run_id = excluded.last_run_id, failures = node_status.failures + 1,
             last_error = excluded.last_error, last_error_code = excluded.last_error_code, updated_at = excluded.updated_at`,
        )
        .run(this.site, outcome.node, runId, outcome.error.message, outcome.error.code, at);
    }
    return Promise.resolve();
  }

  run(runId: number): Promise<RunRecord | null> {
    const row = this.db.prepare(`SELECT * FROM runs WHERE id = ? AND site = ?`).get(runId, this.site) as RunRow | undefined;
    return Promise.resolve(row ? this.runOf(row) : null);
  }

  runs(limit = 20): Promise<RunRecord[]> {
    const rows = this.db.prepare(`SELECT * FROM runs WHERE site = ? ORDER BY id DESC LIMIT ?`).all(this.site, limit) as RunRow[];
    return Promise.resolve(rows.map((row) => this.runOf(row)));
  }

  journalOf(runId: number): Promise<JournalEntry[]> {
    const rows = this.db
      .prepare(`SELECT j.* FROM journal j JOIN runs r ON r.id = j.run_id WHERE j.run_id = ? AND r.site = ? ORDER BY j.seq`)
      .all(runId, this.site) as JournalRow[];
    return Promise.resolve(rows.map(toEntry));
  }

  runNodes(runId: number): Promise<string[] | null> {
    const run = this.db.prepare(`SELECT node_count FROM runs WHERE id = ?`).get(runId) as { node_count: number | null } | undefined;
    if (typeof run?.node_count !== 'number') return Promise.resolve(null);
    const rows = this.db.prepare(`SELECT node FROM run_nodes WHERE run_id = ? ORDER BY node`).all(runId) as { node: string }[];
    return Promise.resolve(rows.map((r) => r.node));
  }

  private inFlightRows(runId: number): JournalEntry[] {
    const rows = this.db
      .prepare(
        `SELECT j.* FROM journal j JOIN runs r ON r.id = j.run_id WHERE j.run_id = ? AND r.site = ? AND j.phase = 'started' AND NOT EXISTS (
           SELECT 1 FROM journal k WHERE k.run_id = j.run_id AND k.change_id = j.change_id AND k.seq > j.seq)
         ORDER BY j.seq`,
      )
      .all(runId, this.site) as JournalRow[];
    return rows.map(toEntry);
  }

  inFlightOf(runId: number): Promise<JournalEntry[]> {
    return Promise.resolve(this.inFlightRows(runId));
  }

  nodeStatuses(): Promise<NodeStatusRecord[]> {
    const rows = this.db.prepare(`SELECT * FROM node_status WHERE site = ? ORDER BY node`).all(this.site) as NodeStatusRow[];
    return Promise.resolve(rows.map(toNodeStatus));
  }

  acquireSiteLock(token: string, holder: LockHolder): Promise<SiteLockResult> {
    // IMMEDIATE: the read and the write happen under the database's write lock, so two applies never both win.
    const result = this.db
      .transaction((): SiteLockResult => {
        const row = this.db.prepare(`SELECT token, holder FROM site_locks WHERE site = ?`).get(this.site) as SiteLockRow | undefined;
        const current = row ? toSiteLock(row) : undefined;
        if (current && current.token !== token && !holderIsDead(current.holder, this.process, this.isProcessAlive)) return { acquired: false, lock: current };
        this.db
          .prepare(`INSERT INTO site_locks (site, token, holder, acquired_at) VALUES (?, ?, ?, ?) ON CONFLICT (site) DO UPDATE SET token = excluded.token, holder = excluded.holder, acquired_at = excluded.acquired_at`)
          .run(this.site, token, JSON.stringify(holder), this.now());
        return current && current.token !== token ? { acquired: true, replaced: current } : { acquired: true };
      })
      .immediate();
    return Promise.resolve(result);
  }

  attachRunToSiteLock(token: string, runId: number): Promise<void> {
    this.db.transaction(() => {
      const row = this.db.prepare(`SELECT token, holder FROM site_locks WHERE site = ? AND token = ?`).get(this.site, token) as SiteLockRow | undefined;
      if (!row) return;
      const holder = { ...toSiteLock(row).holder, run: runId };
      this.db.prepare(`UPDATE site_locks SET holder = ? WHERE site = ? AND token = ?`).run(JSON.stringify(holder), this.site, token);
    }).immediate();
    return Promise.resolve();
  }

  releaseSiteLock(token: string): Promise<void> {
    this.db.prepare(`DELETE FROM site_locks WHERE site = ? AND token = ?`).run(this.site, token);
    return Promise.resolve();
  }

  breakSiteLock(): Promise<SiteLock | null> {
    const row = this.db.prepare(`DELETE FROM site_locks WHERE site = ? RETURNING token, holder`).get(this.site) as SiteLockRow | undefined;
    return Promise.resolve(row ? toSiteLock(row) : null);
  }

  siteLock(): Promise<SiteLock | null> {
    const row = this.db.prepare(`SELECT token, holder FROM site_locks WHERE site = ?`).get(this.site) as SiteLockRow | undefined;
    return Promise.resolve(row ? toSiteLock(row) : null);
  }

  recordLease(node: string, lease: NodeLease | null): Promise<void> {
    if (lease === null) this.db.prepare(`DELETE FROM node_leases WHERE site = ? AND node = ?`).run(this.site, node);
    else {
      this.db
        .prepare(`INSERT INTO node_leases (site, node, lease, recorded_at) VALUES (?, ?, ?, ?) ON CONFLICT (site, node) DO UPDATE SET lease = excluded.lease, recorded_at = excluded.recorded_at`)
        .run(this.site, node, JSON.stringify(lease), this.now());
    }
    return Promise.resolve();
  }

  leases(): Promise<NodeLease[]> {
    const rows = this.db.prepare(`SELECT lease FROM node_leases WHERE site = ? ORDER BY node`).all(this.site) as { lease: string }[];
    return Promise.resolve(rows.map((r) => NodeLease.parse(JSON.parse(r.lease))));
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
