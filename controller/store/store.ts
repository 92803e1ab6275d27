/**
 * What the controller remembers between runs: the runs it made, a journal of every change it tried (written
 * before and after each one), and a per-node summary. The journal says what was tried; the nodes remain the
 * truth, so after a crash the next run re-observes and re-plans rather than replaying the journal.
 *
 * A store is opened for one site (its id, the Site document's name): everything it reads and writes is that
 * site's, so one database can hold many sites. It also holds the site lock, one writer per site per state
 * directory, and remembers the node leases this site's runs hold (ADR 0008).
 *
 * Async on purpose: the embedded store is SQLite, the scale-out one the Kubernetes API.
 */
import type { ErrorRecord } from '../model/errors.js';
import type { Action } from '../model/change.js';
import type { LockHolder, NodeLease } from './lock-holder.js';
import type { RolloutStates } from './rollout-states.js';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'halted' | 'interrupted';
export type JournalPhase = 'started' | 'succeeded' | 'failed' | 'skipped';

/** A loud condition a run ended with, e.g. RolloutHalted; kept on the run so status can show it until the next run. */
export interface RunCondition {
  type: string;
  /** CamelCase. */
  reason: string;
  message: string;
  cluster?: string;
}

export interface RunRecord {
  id: number;
  revisionCommit: string;
  planHash: string;
  startedAt: string;
  finishedAt: string | null;
  status: RunStatus;
  conditions: RunCondition[];
}

export interface JournalEntry {
  runId: number;
  changeId: string;
  node: string;
  key: string;
  action: Action;
  phase: JournalPhase;
  /** The reason for a skip or the error of a failure. */
  detail: string | null;
  /** The CamelCase code of that error or reason (model/errors.ts); null for other phases and older entries. */
  code: string | null;
  at: string;
}

/** What `journal` takes: the code only with a failure or a skip. */
export type JournalInput = Omit<JournalEntry, 'at' | 'code'> & { code?: string };

export interface NodeStatusRecord {
  node: string;
  lastAppliedCommit: string | null;
  lastRunId: number | null;
  /** Consecutive runs in which the node failed; reset when it converges. */
  failures: number;
  lastError: string | null;
  /** The code of lastError (model/errors.ts): what status takes its reason from. Null when recorded before codes were. */
  lastErrorCode: string | null;
  updatedAt: string;
}

/** A run found `running` when the store was opened: its process died. */
export interface InterruptedRun {
  run: RunRecord;
  /** Changes journalled `started` with no outcome: they may or may not have happened on the node. */
  inFlight: JournalEntry[];
}

export type NodeOutcome = { node: string; converged: true } | { node: string; converged: false; error: ErrorRecord };

/** The site lock: held by one apply per site and state directory. The token is that apply's fencing token. */
export interface SiteLock {
  token: string;
  holder: LockHolder;
}

export type SiteLockResult =
  /** `replaced`: a lock whose holder was provably dead (lock-holder.ts), taken over. */
  | { acquired: true; replaced?: SiteLock }
  | { acquired: false; lock: SiteLock };

/**
 * The store, split by who uses it (controller-runtime's Client is built from small interfaces the same way):
 * each consumer takes only the part it uses, so a test fakes that part alone and the scale-out store can
 * implement them one by one. The IP pools' ledger is another part (ledger.ts).
 */

/** What an apply writes as it runs (controller/apply/apply-plan.ts): its run, the journal, the nodes' outcomes. */
export interface RunWriter {
  /** The site id everything here belongs to. */
  readonly site: string;
  /** Marks runs left `running` by a dead process as `interrupted` and reports them. Call once at start. */
  recoverInterruptedRuns(): Promise<InterruptedRun[]>;
  /** `nodes`: every node (and service target) the run's plan covers, so status shows the revision's nodes only. */
  beginRun(input: { revisionCommit: string; planHash: string; nodes: readonly string[] }): Promise<RunRecord>;
  finishRun(runId: number, status: Exclude<RunStatus, 'running'>, conditions?: RunCondition[]): Promise<void>;
  /** Durable before it resolves: `started` must be on disk before the change touches a node. */
  journal(entry: JournalInput): Promise<void>;
  recordNodeOutcome(runId: number, revisionCommit: string, outcome: NodeOutcome): Promise<void>;
}

/** The site lock and the node leases (ADR 0008): what apply takes and gives back, and force-unlock breaks. */
export interface SiteLocks {
  readonly site: string;
  /**
   * Takes the site lock for `token`, unless a holder that may be alive has it. Atomic: of two applies that
   * try at once, one gets it.
   */
  acquireSiteLock(token: string, holder: LockHolder): Promise<SiteLockResult>;
  /** Names the run in the lock's holder once it has begun; only the lock's own token can. */
  attachRunToSiteLock(token: string, runId: number): Promise<void>;
  /** Releases the lock if `token` still holds it. */
  releaseSiteLock(token: string): Promise<void>;
  /** Removes the lock whoever holds it (`underlay force-unlock`), returning what it removed. */
  breakSiteLock(): Promise<SiteLock | null>;
  siteLock(): Promise<SiteLock | null>;
  /** Remembers a lease this site's apply holds on a node as it stands now (null: released), for `status`. */
  recordLease(node: string, lease: NodeLease | null): Promise<void>;
  /** The leases this site's applies hold or held without releasing them, by node name. */
  leases(): Promise<NodeLease[]>;
}

/** What `status` (and later the dashboard) reads: runs, their journals, the nodes' summaries, who holds the site. */
export interface StatusReader {
  readonly site: string;
  run(runId: number): Promise<RunRecord | null>;
  /** Newest first. */
  runs(limit?: number): Promise<RunRecord[]>;
  journalOf(runId: number): Promise<JournalEntry[]>;
  /** The nodes given to beginRun, sorted; null for a run recorded before runs kept them. */
  runNodes(runId: number): Promise<string[] | null>;
  /** Started entries without succeeded/failed/skipped after them. */
  inFlightOf(runId: number): Promise<JournalEntry[]>;
  nodeStatuses(): Promise<NodeStatusRecord[]>;
  siteLock(): Promise<SiteLock | null>;
  leases(): Promise<NodeLease[]>;
}

/** One site's state database: every part, and closing it. */
export interface Store extends RunWriter, SiteLocks, StatusReader, RolloutStates {
  close(): Promise<void>;
}
