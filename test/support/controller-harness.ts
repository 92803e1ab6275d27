/**
 * The controller's supervisor and API in-process, on manual time, with reconciles whose steps the test
 * gives (run through the real runtime, runReconcile, with the supervisor's queue and status writer). The
 * real reconcile of a site runs in test/e2e/controller*.test.ts against real test hosts; this is for what
 * sits around it (queueing, policy, the API, metrics), where a node adds nothing but time.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ControllerDaemon } from '../../controller/daemon/controller-daemon.js';
import { parseControllerConfig, type ControllerConfig } from '../../controller/daemon/controller-config.js';
import { createControllerMetrics, type ControllerMetrics } from '../../controller/daemon/controller-metrics.js';
import type { SiteReconcileContext } from '../../controller/daemon/site-reconcile.js';
import type { SiteServices } from '../../controller/daemon/supervised-site.js';
import type { Plan } from '../../controller/model/plan.js';
import { runReconcile, type Reconciled } from '../../controller/runtime/reconcile.js';
import { initialState, type ReconcileState } from '../../controller/runtime/reconcile-state.js';
import type { StepResult } from '../../controller/runtime/reconcile-step.js';
import { startApiServer, type ApiServer } from '../../controller/server/api-server.js';
import { SqliteStore } from '../../controller/store/sqlite-store.js';
import { DirectorySecretStore } from '../../controller/secrets/secret-store.js';
import type { DriftReport } from '../../controller/drift/drift-report.js';
import { manualTime, type ManualTime } from './manual-timers.js';

/** A plan as far as the supervisor and the API read one. */
export function fakePlan(hash: string, commit = 'c0ffee', changes = 1): Plan {
  return {
    hash,
    revision: { commit },
    changes: Array.from({ length: changes }, (_, i) => ({ id: `n1/file:/etc/f${i}` })),
    summary: { create: changes, update: 0, delete: 0, restart: 0, run: 0 },
    rollout: [],
  } as unknown as Plan;
}

/** A drift check that found nothing: what a test's own checkDrift answers when drift is not what it is about. */
export function noDrift(site: string, revision: string, checkedAt = ''): DriftReport {
  return { site, revision, baseline: 'last-applied', checkedAt, drifted: [], resolved: [], fighting: [], toCorrect: [], ignored: 0, unobserved: [], outcome: { type: 'done' } };
}

export interface ReconcileCall {
  site: string;
  approvedPlanHash: string | null;
  /** What the reconcile's apply would be told now (ApplyPlanOptions.stop). */
  stopRequested(): string | undefined;
  /** Ends this reconcile with what the step answers. */
  finish(answer: (state: ReconcileState) => StepResult<ReconcileState>): Promise<void>;
}

export interface ControllerHarness {
  daemon: ControllerDaemon;
  metrics: ControllerMetrics;
  api: ApiServer;
  time: ManualTime;
  token: string;
  /** Reconciles started and not finished, oldest first. */
  open: ReconcileCall[];
  started: ReconcileCall[];
  logs: Record<string, unknown>[];
  /** The sites whose drift was checked, in order. */
  drift: string[];
  close(): Promise<void>;
}

export const configText = (sites: string): string => `apiVersion: underlay.dev/v1alpha1
kind: ControllerConfig
sites:
${sites}`;

/** `checkDrift`: a drift check of the test's own instead of one that only records the site (it is still recorded). */
export async function startControllerHarness(config: ControllerConfig | string, options: { checkDrift?: SiteServices['checkDrift'] } = {}): Promise<ControllerHarness> {
  const parsed = typeof config === 'string' ? parseControllerConfig('/test/controller.yaml', config) : config;
  const time = manualTime();
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => (logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) });
  const logger = pino({ level: 'debug' }, sink);
  const metrics = createControllerMetrics();
  const open: ReconcileCall[] = [];
  const started: ReconcileCall[] = [];
  const reconcile = (ctx: SiteReconcileContext): Promise<Reconciled<ReconcileState>> =>
    new Promise((resolveRun) => {
      const call: ReconcileCall = {
        site: ctx.site.name,
        approvedPlanHash: ctx.approvedPlanHash,
        stopRequested: () => ctx.stop.requested()?.code,
        finish: async (answer) => {
          open.splice(open.indexOf(call), 1);
          const step = { name: 'fake', run: (state: ReconcileState) => Promise.resolve(answer(state)) };
          resolveRun(await runReconcile({ site: ctx.site.name, state: initialState() }, [step], { queue: ctx.queue, status: ctx.status }));
          for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        },
      };
      open.push(call);
      started.push(call);
    });
  const stores: SqliteStore[] = [];
  const driftChecks = (site: string): DriftReport => {
    drift.push(site);
    return noDrift(site, 'c0ffee', time.clock.now().toISOString());
  };
  const drift: string[] = [];
  const daemon = new ControllerDaemon(parsed, {
    clock: time.clock,
    timers: time.timers,
    random: () => 0.5,
    logger,
    metrics,
    io: { stdout: () => undefined, stderr: () => undefined, cwd: '/', env: {} },
    openStore: (site) => {
      const store = SqliteStore.open({ file: ':memory:', site, clock: time.clock });
      stores.push(store);
      return store;
    },
    reconcile,
    secretsOf: () => new DirectorySecretStore('/nonexistent/underlay-test-secrets'),
    // No source to watch, no nodes to check for drift here: the e2e tests run the real ones.
    watch: () => Promise.resolve({ close: () => Promise.resolve() }),
    checkDrift: (ctx) => {
      if (!options.checkDrift) return Promise.resolve(driftChecks(ctx.site.name));
      drift.push(ctx.site.name);
      return options.checkDrift(ctx);
    },
  });
  const token = 'test-token-3f9a1c';
  daemon.start();
  const api = await startApiServer({ host: '127.0.0.1', port: 0, daemon, metrics, token: Buffer.from(token) });
  return {
    daemon,
    metrics,
    api,
    time,
    token,
    open,
    started,
    logs,
    drift,
    async close() {
      await api.close();
      // Stopped first, so the reconciles finished here start no others.
      const stopping = daemon.stop(0);
      for (const call of [...open]) await call.finish((state) => ({ type: 'continue', state }));
      await stopping;
    },
  };
}
