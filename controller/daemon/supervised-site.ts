/**
 * One configured site in the running controller: its worker (one running, one pending reconcile), its
 * connection to the state database (controls, retention, what the API reads), its live status, and what
 * its reconciles tell the log and the metrics. Everything effectful arrives in `SiteServices`.
 */
import type { Logger } from 'pino';
import type { Clock, Timers } from '../clock.js';
import type { CliIO } from '../cli/io.js';
import type { KeyedQueue } from '../model/keyed-queue.js';
import type { ErrorRecord } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import type { Inventory } from '../model/observed.js';
import { retryAfter } from '../runtime/backoff.js';
import type { Reconciled } from '../runtime/reconcile.js';
import type { ReconcileEvent } from '../runtime/reconcile-event.js';
import type { ReconcileState } from '../runtime/reconcile-state.js';
import { durationSeconds } from '../spec/duration.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import type { ControllerConfig, SiteConfig } from './controller-config.js';
import type { ControllerMetrics } from './controller-metrics.js';
import { reconcileSite, type SiteReconcileContext } from './site-reconcile.js';
import { afterReconcile, initialSiteStatus, lastReconcileOf, siteConditions, type SiteStatusView } from './site-status.js';
import { SiteWorker, type RequestResult } from './site-worker.js';
import type { RunningAlerter } from '../alerts/create-alerter.js';
import { alertDrift } from '../drift/drift-alerts.js';
import type { DriftRecord, DriftReport } from '../drift/drift-report.js';
import { driftStatus, type DriftStatus } from '../drift/drift-status.js';
import { driftReportJson } from '../drift/render-drift.js';
import { describeError } from '../model/errors.js';
import type { DirectorySecretStore } from '../secrets/secret-store.js';
import type { SourceWatch } from '../watch/source-watch.js';
import { onCronSchedule } from './cron-timer.js';
import { alertCertificates, alertReconcile, siteAlerter } from './site-alerts.js';
import { checkSiteDrift, type SiteDriftContext } from './site-drift.js';
import { watchSite, type SiteSourceOptions } from './site-source.js';
import { sshTransportOptions } from '../cli/live-options.js';
import { ConnectionPool } from '../transport/connection-pool.js';
import { siteLiveOptions } from './site-reconcile.js';

export interface SiteServices {
  controller: ControllerConfig;
  io: CliIO;
  queue: KeyedQueue;
  clock: Clock;
  timers: Timers;
  random: () => number;
  logger: Logger;
  metrics: ControllerMetrics;
  stop: { requested(): ErrorRecord | undefined };
  /** The site's secret store (its own, else the controller's): alert signing keys and redaction. */
  secrets(site: SiteConfig): DirectorySecretStore;
  /** One reconcile; reconcileSite unless a test gives its own. */
  reconcile?: (ctx: SiteReconcileContext) => Promise<Reconciled<ReconcileState>>;
  /** One drift check; checkSiteDrift unless a test gives its own. */
  checkDrift?: (ctx: SiteDriftContext) => Promise<DriftReport>;
  /** The watch or poll of the source; watchSite unless a test gives its own. */
  watch?: (o: SiteSourceOptions) => Promise<SourceWatch>;
}

/** Where and why a drift check stopped, for its log line. */
function outcomeFields(outcome: DriftReport['outcome']): Record<string, string> {
  if (outcome.type === 'done') return {};
  if (outcome.type === 'fail') return { step: outcome.step, error: describeError(outcome.error) };
  return { step: outcome.step, code: outcome.code, message: outcome.message };
}

export type ApproveResult = { approved: true } | { approved: false; reason: string };

export class SupervisedSite {
  readonly worker: SiteWorker<Reconciled<ReconcileState>>;
  #status: SiteStatusView;
  #plan: Plan | undefined;
  /** What the last reconcile that observed the nodes found: the snapshot CI plans pull requests against. */
  #inventory: Inventory | undefined;
  #startedAt = '';
  readonly #log: Logger;
  readonly #alerter: RunningAlerter;
  #drift: DriftReport | undefined;
  #driftChecking = false;
  /** Why the check after the running one was asked for: every distinct reason, in the order asked. */
  #driftPending = new Set<string>();
  #driftRun: Promise<void> | undefined;
  #watch: Promise<SourceWatch | undefined> | undefined;
  #stopDriftSchedule: (() => void) | undefined;
  /** The site's SSH connections, kept between its reconciles and drift checks, closed when it stops. */
  readonly connections: ConnectionPool;

  constructor(
    readonly config: SiteConfig,
    readonly store: SqliteStore,
    private readonly services: SiteServices,
  ) {
    this.#log = services.logger.child({ site: config.name });
    const controls = store.siteControls().get();
    this.#status = initialSiteStatus(config, { suspended: controls.suspended || config.suspended, approvedPlanHash: controls.approvedPlanHash });
    this.worker = new SiteWorker({
      reconcile: () => this.#reconcile(),
      retryAfter: (r, attempt) => (r ? retryAfter(r.outcome, attempt, services.random) : null),
      failed: (r) => r === undefined || r.outcome.type === 'fail',
      intervalMs: durationSeconds(config.interval) * 1000,
      timers: services.timers,
      onSettled: (r, error) => this.#settled(r, error),
      onDepth: (depth) => services.metrics.queueDepth.set({ site: config.name }, depth),
    });
    const options = siteLiveOptions(services.controller, config);
    this.connections = new ConnectionPool({
      settings: (revision) => sshTransportOptions(options, services.io, revision),
      idleTimeoutMs: durationSeconds(config.connections.idleTimeout) * 1000,
      maxConnections: config.connections.max,
      timers: services.timers,
    });
    if (this.#status.suspended) this.worker.suspend();
    services.metrics.siteSuspended.set({ site: config.name }, this.#status.suspended ? 1 : 0);
    this.#alerter = siteAlerter({ site: config, store, secrets: services.secrets(config), clock: services.clock, timers: services.timers, random: services.random,
      onError: (message) => this.#log.error(message),
      onNotify: (n) => services.metrics.alerts.inc({ site: n.site, reason: n.reason, state: n.status }),
    });
  }

  /** The first reconcile, the watch of the source and the drift schedule. */
  start(reason: string): void {
    const { services, config } = this;
    this.request(reason);
    const watch = services.watch ?? watchSite;
    this.#watch = watch({
      controller: services.controller,
      site: config,
      io: services.io,
      timers: services.timers,
      random: services.random,
      onChange: (how) => void this.request(how),
      onError: (error) => this.#log.warn({ error: describeError(error) }, 'the source could not be watched this round'),
    }).catch((error: unknown) => {
      this.#log.error({ error: describeError(error) }, 'the source cannot be watched: only the resync interval, webhooks and operators start reconciles');
      return undefined;
    });
    this.#stopDriftSchedule = onCronSchedule({ expression: config.drift.schedule, clock: services.clock, timers: services.timers }, () => void this.checkDrift('schedule'));
  }

  /** No reconcile or drift check starts any more; resolves once the running one ended. The store stays open. */
  async stop(): Promise<void> {
    this.#stopDriftSchedule?.();
    await (await this.#watch)?.close();
    await this.worker.stop();
    await this.#alerter.close();
    // A drift check runs beside the worker, on the same connections: they close once it ended.
    await this.#driftRun;
    await this.connections.close();
  }

  /** Drift as the API shows it: what is open in the ledger now (with ages), and the latest check's report. */
  async drift(): Promise<{ open: DriftStatus; lastCheck: Record<string, unknown> | null }> {
    const open = driftStatus(await this.store.driftLedger<DriftRecord>().open(), this.services.clock.now());
    return { open, lastCheck: this.#drift ? driftReportJson(this.#drift) : null };
  }

  /** A drift check asked for now (the API's drift-now), in the site's queue; none while the site is suspended. */
  requestDrift(reason: string): 'started' | 'coalesced' | 'suspended' {
    if (this.worker.suspended) return 'suspended';
    const running = this.#driftChecking;
    void this.checkDrift(reason);
    return running ? 'coalesced' : 'started';
  }

  /** A drift check in the site's queue; one asked for while one runs is done once, after it. */
  async checkDrift(reason: string): Promise<void> {
    if (this.#driftChecking) {
      this.#driftPending.add(reason);
      return;
    }
    this.#driftChecking = true;
    this.#driftRun = this.#checkDriftLoop(reason);
    await this.#driftRun;
  }

  async #checkDriftLoop(reason: string): Promise<void> {
    try {
      for (let next: string[] = [reason]; next.length > 0; next = [...this.#driftPending]) {
        this.#driftPending.clear();
        if (this.worker.suspended || this.services.stop.requested()) return;
        // One check for all who asked while the last ran: the log names each.
        await this.#checkDriftOnce(next.join('+'));
      }
    } finally {
      this.#driftChecking = false;
    }
  }

  async #checkDriftOnce(reason: string): Promise<void> {
    const { services, config } = this;
    const check = services.checkDrift ?? checkSiteDrift;
    try {
      const report = await check({ controller: services.controller, site: config, io: services.io, queue: services.queue, clock: services.clock, timers: services.timers, random: services.random, stop: services.stop, onEvent: (event) => this.#onEvent(event), transport: this.connections });
      this.#drift = report;
      this.#status = { ...this.#status, drift: { checkedAt: report.checkedAt, drifted: report.drifted.length, fighting: report.fighting.length, outcome: report.outcome.type } };
      services.metrics.driftedResources.set({ site: config.name }, report.drifted.length);
      alertDrift(this.#alerter, report);
      this.#observeCorrection(report);
      this.#log.info({ reason, outcome: report.outcome.type, ...outcomeFields(report.outcome), revision: report.revision, drifted: report.drifted.map((r) => r.id), fighting: report.fighting.map((r) => r.id), resolved: report.resolved.map((r) => r.id), corrected: report.correction?.corrected ?? [] }, 'drift checked');
    } catch (error) {
      this.#log.error({ reason, error: describeError(error) }, 'the drift check failed');
    }
  }

  /** A correction goes through the rollouts too: the breaker gauge shows what it left of each cluster's. */
  #observeCorrection(report: DriftReport): void {
    const c = report.correction;
    if (!c || c.status === 'interrupted') return;
    const halted = new Set(c.halted.map((h) => h.cluster));
    for (const cluster of c.clusters) this.services.metrics.breakerTripped.set({ site: this.name, cluster }, halted.has(cluster) ? 1 : 0);
  }

  get name(): string {
    return this.config.name;
  }

  status(): SiteStatusView {
    const view = { ...this.#status, reconciling: this.worker.busy, queueDepth: this.worker.depth, suspended: this.worker.suspended };
    return { ...view, conditions: siteConditions(view) };
  }

  /** The latest plan in full (GET /api/v1/sites/S/plan). */
  plan(): Plan | undefined {
    return this.#plan;
  }

  inventory(): Inventory | undefined {
    return this.#inventory;
  }

  request(reason: string): RequestResult {
    const result = this.worker.request();
    this.#log.debug({ reason, result }, 'reconcile requested');
    return result;
  }

  suspend(): void {
    this.worker.suspend();
    this.store.siteControls().set({ suspended: true });
    this.services.metrics.siteSuspended.set({ site: this.name }, 1);
    this.#log.info('site suspended');
  }

  resume(): RequestResult {
    this.store.siteControls().set({ suspended: false });
    this.services.metrics.siteSuspended.set({ site: this.name }, 0);
    this.#log.info('site resumed');
    return this.worker.resume();
  }

  /** Approves the site's current plan by its hash; a hash of any other plan is refused (stale). */
  approve(planHash: string): ApproveResult {
    if (this.config.apply.policy !== 'approve') return { approved: false, reason: `site ${this.name} applies by policy ${this.config.apply.policy}, not by approval` };
    const current = this.#status.plan?.hash;
    if (current === undefined) return { approved: false, reason: `site ${this.name} has no plan yet` };
    if (planHash !== current) return { approved: false, reason: `plan ${planHash} is not the current plan of site ${this.name} (${current}): it is stale` };
    this.store.siteControls().set({ approvedPlanHash: planHash });
    this.#status = { ...this.#status, approvedPlanHash: planHash };
    this.#log.info({ planHash }, 'plan approved');
    this.request('approved');
    return { approved: true };
  }

  #reconcile(): Promise<Reconciled<ReconcileState>> {
    const { services, config } = this;
    this.#startedAt = services.clock.now().toISOString();
    this.#log.debug('reconcile started');
    const run = services.reconcile ?? reconcileSite;
    return run({
      controller: services.controller,
      site: config,
      io: services.io,
      queue: services.queue,
      clock: services.clock,
      timers: services.timers,
      approvedPlanHash: this.store.siteControls().get().approvedPlanHash,
      stop: services.stop,
      transport: this.connections,
      status: { write: (_site, reconciled) => this.#write(reconciled) },
      onEvent: (event) => this.#onEvent(event),
      onStep: (step, durationMs) => this.#log.debug({ step, durationMs }, 'step finished'),
    });
  }

  /** The runtime's StatusWriter: once per reconcile, at its end. */
  async #write(reconciled: Reconciled<ReconcileState>): Promise<void> {
    const finishedAt = this.services.clock.now().toISOString();
    const last = lastReconcileOf(reconciled, this.#startedAt, finishedAt);
    this.#status = afterReconcile(this.#status, reconciled, last);
    if (reconciled.state.plan) this.#plan = reconciled.state.plan;
    if (reconciled.state.inventory) this.#inventory = reconciled.state.inventory;
    const changeSet = reconciled.state.changeSet;
    if (changeSet) await this.#afterRun(reconciled);
    // A halted rollout stays halted in the store while apply refuses it (no run, no change set): so does the gauge.
    const haltedInStore = new Set((await this.store.rolloutStates()).filter((r) => r.state.status === 'halted').map((r) => r.cluster));
    this.#observeMetrics(reconciled, last, haltedInStore);
    alertReconcile(this.#alerter, this.config, reconciled);
    alertCertificates(this.#alerter, this.config.name, await this.store.issuedCertificates().issued(), this.services.clock.now());
    // Queued behind this reconcile (the same queue key), so it observes what the apply left; drift held back
    // is the check's to report or correct now, not at its next scheduled time.
    if (changeSet && changeSet.results.some((r) => r.outcome === 'applied')) void this.checkDrift('after-apply');
    else if ((reconciled.state.heldDrift?.length ?? 0) > 0) void this.checkDrift('held-drift');
    this.#log.info(
      { revision: this.#status.revision, outcome: last.outcome, step: last.step, code: last.code, message: last.message, planHash: reconciled.state.plan?.hash, changes: reconciled.state.plan?.changes.length, heldDrift: reconciled.state.heldDrift?.length, runId: last.runId, durationMs: Date.parse(finishedAt) - Date.parse(this.#startedAt) },
      'reconciled',
    );
  }

  /** After a run: an approval is used up once its plan is applied; old runs and journals go (retention). */
  async #afterRun(reconciled: Reconciled<ReconcileState>): Promise<void> {
    const { state } = reconciled;
    const approved = this.store.siteControls().get().approvedPlanHash;
    if (state.changeSet?.status === 'succeeded' && approved !== null && approved === state.plan?.hash) {
      this.store.siteControls().set({ approvedPlanHash: null });
      this.#status = { ...this.#status, approvedPlanHash: null };
    }
    const { runs, maxAge } = this.services.controller.retention;
    const finishedBefore = new Date(this.services.clock.now().getTime() - durationSeconds(maxAge) * 1000);
    const pruned = await this.store.pruneRuns({ keep: runs, finishedBefore });
    if (pruned > 0) this.#log.debug({ pruned }, 'old runs removed (retention)');
  }

  #observeMetrics(reconciled: Reconciled<ReconcileState>, last: ReturnType<typeof lastReconcileOf>, haltedInStore: ReadonlySet<string>): void {
    const { metrics } = this.services;
    const site = this.name;
    metrics.reconcileDuration.observe({ site, outcome: last.outcome }, (Date.parse(last.finishedAt) - Date.parse(last.startedAt)) / 1000);
    metrics.reconciles.inc({ site, outcome: last.outcome, code: last.code ?? '' });
    const changeSet = reconciled.state.changeSet;
    if (changeSet?.status === 'succeeded' && this.#status.lastAppliedRevision) {
      metrics.lastAppliedRevision.reset();
      metrics.lastAppliedRevision.set({ site, revision: this.#status.lastAppliedRevision }, 1);
    }
    for (const rollout of reconciled.state.plan?.rollout ?? []) {
      const halted = (changeSet?.conditions.some((c) => c.type === 'RolloutHalted' && c.cluster === rollout.cluster) ?? false) || haltedInStore.has(rollout.cluster);
      metrics.breakerTripped.set({ site, cluster: rollout.cluster }, halted ? 1 : 0);
    }
  }

  /** One log line per change (never its content: ids, keys, actions and codes only), per batch gate and per halt. */
  #onEvent(event: ReconcileEvent): void {
    if (event.type === 'apply' && event.event.type === 'change-finished') {
      const r = event.event.result;
      this.services.metrics.changes.inc({ site: this.name, outcome: r.outcome });
      const detail = r.outcome === 'failed' ? { code: r.code, error: r.error } : r.outcome === 'skipped' ? { code: r.code, reason: r.reason } : {};
      this.#log.info({ change: r.id, node: r.node, action: r.action, outcome: r.outcome, ...detail }, 'change');
    } else if (event.type === 'apply' && event.event.type === 'batch-gate') {
      // Node names and gate verdicts only: what order the batches passed or failed their gates in.
      const { cluster, batch, nodes, failed, unhealthy } = event.event;
      this.#log.info({ cluster, batch, nodes, healthy: Object.keys(failed).length + Object.keys(unhealthy).length === 0, failed: Object.keys(failed), unhealthy: Object.keys(unhealthy) }, 'batch gated');
    } else if (event.type === 'apply' && event.event.type === 'rollout-halted') {
      const { cluster, reason, message } = event.event.condition;
      this.#log.warn({ cluster, reason, message }, 'rollout halted');
    } else if (event.type === 'locks-refused') {
      this.#log.warn({ errors: event.errors }, 'another apply holds the site or a node');
    } else if (event.type === 'drift-held') {
      // Ids only, as for every change: what drifted, and its digests, are the drift check's report.
      this.#log.info({ changes: event.changes.map((c) => c.id) }, 'drift held back for the drift policy');
    } else if (event.type === 'runs-interrupted' && event.runs.length > 0) {
      this.#log.warn({ runs: event.runs.map((r) => r.run.id) }, 'runs of a process that died were marked interrupted; the nodes are re-observed and re-planned');
    }
  }

  #settled(result: Reconciled<ReconcileState> | undefined, error: unknown): void {
    if (error === undefined) return;
    // Thrown before the runtime could write a status (the deps could not be made): still an attempt, and a failed one.
    const message = error instanceof Error ? error.message : String(error);
    const at = this.services.clock.now().toISOString();
    const view = { ...this.#status, attempted: true, lastReconcile: { startedAt: this.#startedAt, finishedAt: at, outcome: 'fail' as const, code: 'ReconcileFailed', message } };
    this.#status = { ...view, conditions: siteConditions(view) };
    this.#log.error({ error: message, outcome: 'fail' }, 'reconciled');
  }
}
