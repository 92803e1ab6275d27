/**
 * The site supervisor of `underlay controller` (ADR 0022): one SupervisedSite per configured site, all on
 * one state database (one connection per site, keyed by site id) and one keyed queue. It starts every
 * site, reloads the configuration (sites added, removed, changed), answers readiness, and stops: no new
 * change begins, the changes in flight finish up to the shutdown bound, then the stores close.
 */
import type { Logger } from 'pino';
import { after, type Clock, type Timers } from '../clock.js';
import type { CliIO } from '../cli/io.js';
import { KeyedQueue } from '../model/keyed-queue.js';
import type { ErrorRecord } from '../model/errors.js';
import type { Reconciled } from '../runtime/reconcile.js';
import type { ReconcileState } from '../runtime/reconcile-state.js';
import { durationSeconds } from '../spec/duration.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import { processStartTicks, type ControllerHolder } from '../store/controller-registration.js';
import { currentProcess, newLockToken } from '../store/lock-holder.js';
import type { ControllerConfig, SiteConfig } from './controller-config.js';
import type { ControllerMetrics } from './controller-metrics.js';
import type { SiteReconcileContext } from './site-reconcile.js';
import { SupervisedSite, type SiteServices } from './supervised-site.js';
import type { DirectorySecretStore } from '../secrets/secret-store.js';

export interface DaemonDeps {
  clock: Clock;
  timers: Timers;
  random: () => number;
  logger: Logger;
  metrics: ControllerMetrics;
  io: CliIO;
  /** The state database, opened for one site (created and migrated when needed). */
  openStore(site: string): SqliteStore;
  /** A site's secret store (its own, else the controller's). */
  secretsOf(site: SiteConfig): DirectorySecretStore;
  /** Tests only: one reconcile, one drift check, the source's watch, instead of the real ones. */
  reconcile?: (ctx: SiteReconcileContext) => Promise<Reconciled<ReconcileState>>;
  checkDrift?: SiteServices['checkDrift'];
  watch?: SiteServices['watch'];
}

export interface Readiness {
  ready: boolean;
  /** Sites whose first reconcile has not ended yet. */
  waiting: string[];
}

const STOPPING: ErrorRecord = { code: 'ControllerStopping', message: 'the controller is stopping: changes not begun are left for its next start' };

export class ControllerDaemon {
  readonly #sites = new Map<string, SupervisedSite>();
  readonly #queue = new KeyedQueue();
  #config: ControllerConfig;
  #stopping = false;
  #stopped: Promise<{ finished: boolean; running: string[] }> | undefined;
  #storesOpen = false;
  #stopHeartbeat: (() => void) | undefined;
  /** This controller as its site registrations name it (controller-registration.ts): a CLI apply refuses while it runs. */
  readonly #registration = { token: newLockToken(), holder: undefined as ControllerHolder | undefined };

  constructor(
    config: ControllerConfig,
    private readonly deps: DaemonDeps,
  ) {
    this.#config = config;
  }

  get config(): ControllerConfig {
    return this.#config;
  }

  /** Opens every site's store, then asks each for its first reconcile. */
  start(): void {
    for (const site of this.#config.sites) this.#sites.set(site.name, this.#supervise(site));
    this.#storesOpen = true;
    this.#heartbeat();
    for (const site of this.#sites.values()) site.start('start');
    this.deps.logger.info({ sites: [...this.#sites.keys()] }, 'controller started');
  }

  sites(): SupervisedSite[] {
    return [...this.#sites.values()];
  }

  site(name: string): SupervisedSite | undefined {
    return this.#sites.get(name);
  }

  /** Ready once the stores are open and every site was attempted once; a failing site does not hold it. */
  readiness(): Readiness {
    const waiting = this.sites().filter((s) => !s.status().attempted && !s.status().suspended).map((s) => s.name);
    return { ready: this.#storesOpen && !this.#stopping && waiting.length === 0, waiting };
  }

  /** SIGHUP: sites added start, removed ones stop, changed ones are supervised anew (their next reconcile follows the running one). */
  reload(config: ControllerConfig): { added: string[]; removed: string[]; changed: string[] } {
    const next = new Map(config.sites.map((s) => [s.name, s]));
    const removed = [...this.#sites.keys()].filter((name) => !next.has(name));
    const added = [...next.keys()].filter((name) => !this.#sites.has(name));
    const changed = [...next.keys()].filter((name) => this.#sites.has(name) && JSON.stringify(this.#sites.get(name)?.config) !== JSON.stringify(next.get(name)));
    this.#config = config;
    for (const name of [...removed, ...changed]) this.#retire(this.#sites.get(name) as SupervisedSite);
    for (const name of removed) this.#sites.delete(name);
    for (const name of [...added, ...changed]) {
      const site = this.#supervise(next.get(name) as SiteConfig);
      this.#sites.set(name, site);
      site.start('reload');
    }
    this.deps.logger.info({ added, removed, changed }, 'configuration reloaded');
    return { added, removed, changed };
  }

  /**
   * SIGTERM: no reconcile starts and no change begins from now on; resolves once every running reconcile
   * ended (`finished`), or after `timeoutMs` with those still running named. The stores close in both cases.
   */
  stop(timeoutMs: number = durationSeconds(this.#config.shutdownTimeout) * 1000): Promise<{ finished: boolean; running: string[] }> {
    // A second stop (a second SIGTERM, a test's teardown) waits for the first: its stores may be closed already.
    this.#stopped ??= this.#stop(timeoutMs);
    return this.#stopped;
  }

  async #stop(timeoutMs: number): Promise<{ finished: boolean; running: string[] }> {
    this.#stopping = true;
    this.#stopHeartbeat?.();
    const sites = this.sites();
    const all = Promise.all(sites.map((s) => s.stop())).then(() => true);
    let cancel: () => void = () => undefined;
    const bound = new Promise<boolean>((resolve) => (cancel = after(this.deps.timers, timeoutMs, () => resolve(false))));
    const finished = await Promise.race([all, bound]);
    cancel();
    const running = sites.filter((s) => s.worker.busy).map((s) => s.name);
    // A clean exit frees the sites for a CLI apply; a reconcile still running keeps its site registered.
    for (const s of sites) if (!s.worker.busy) s.store.controllerRegistrations().unregister(this.#registration.token);
    if (finished) for (const s of sites) await s.store.close();
    this.deps.logger.info({ finished, running }, finished ? 'controller stopped' : 'controller stopped with reconciles still running');
    return { finished, running };
  }

  #supervise(site: SiteConfig): SupervisedSite {
    const { deps } = this;
    const store = deps.openStore(site.name);
    this.#register(site.name, store);
    return new SupervisedSite(site, store, {
      controller: this.#config,
      io: deps.io,
      queue: this.#queue,
      clock: deps.clock,
      timers: deps.timers,
      random: deps.random,
      logger: deps.logger,
      metrics: deps.metrics,
      stop: { requested: () => (this.#stopping ? STOPPING : undefined) },
      secrets: deps.secretsOf,
      ...(deps.reconcile ? { reconcile: deps.reconcile } : {}),
      ...(deps.checkDrift ? { checkDrift: deps.checkDrift } : {}),
      ...(deps.watch ? { watch: deps.watch } : {}),
    });
  }

  /** Stops a site's worker and closes its store once its running reconcile (if any) ended. */
  #retire(site: SupervisedSite): void {
    void site.stop().then(() => {
      // A changed site is supervised anew under the same registration: only a removed one gives it up.
      if (!this.#sites.has(site.name)) site.store.controllerRegistrations().unregister(this.#registration.token);
      return site.store.close();
    });
  }

  #register(site: string, store: SqliteStore): void {
    const holder = (this.#registration.holder ??= { ...currentProcess(), startTicks: processStartTicks(process.pid), since: this.deps.clock.now().toISOString() });
    const replaced = store.controllerRegistrations().register(this.#registration.token, holder, this.#heartbeatMs());
    if (replaced) this.deps.logger.warn({ site, replaced: replaced.holder }, 'site registered by another controller before: this one runs it now');
  }

  /** Each site's registration refreshed; one removed meanwhile (force-unlock --controller) is made again, loudly. */
  #refreshRegistrations(): void {
    for (const site of this.#sites.values()) {
      if (site.store.controllerRegistrations().heartbeat(this.#registration.token)) continue;
      this.deps.logger.warn({ site: site.name }, 'the site registration of this controller was removed: registering again');
      this.#register(site.name, site.store);
    }
  }

  #heartbeatMs(): number {
    return durationSeconds(this.#config.heartbeat) * 1000;
  }

  #heartbeat(): void {
    const beat = (): void => {
      this.deps.metrics.heartbeat.set(this.deps.clock.now().getTime() / 1000);
      if (!this.#stopping) this.#refreshRegistrations();
    };
    beat();
    this.#stopHeartbeat = this.deps.timers.every(this.#heartbeatMs(), async () => beat());
  }
}
