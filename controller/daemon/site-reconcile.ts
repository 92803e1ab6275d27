/**
 * One reconcile of one configured site, through the one runtime (controller/runtime): the same steps and
 * the same dependencies as `underlay plan` and `underlay apply` (cli/reconcile-deps.ts, opened on first use
 * and closed at the end), chosen by the site's apply policy at this moment. Level-based: every reconcile
 * reads the revision again and observes the nodes again; nothing is carried over from the event that asked.
 */
import { DEFAULT_LEASE_TTL_SECONDS } from '../apply/node-leases.js';
import { after, type Clock, type Timers } from '../clock.js';
import { cliReconcileDeps } from '../cli/reconcile-deps.js';
import type { LiveOptions } from '../cli/live-options.js';
import type { CliIO } from '../cli/io.js';
import type { KeyedQueue } from '../model/keyed-queue.js';
import { UnderlayError, type ErrorRecord } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import { runReconcile, type Reconciled } from '../runtime/reconcile.js';
import type { ReconcileEvent } from '../runtime/reconcile-event.js';
import { initialState, required, type ReconcileState } from '../runtime/reconcile-state.js';
import type { Opener, RuntimeStep, SourceReader } from '../runtime/runtime-deps.js';
import type { Revision } from '../source/revision.js';
import type { Transport } from '../transport/transport.js';
import type { StatusWriter } from '../runtime/write-status.js';
import { apply } from '../runtime/steps/apply.js';
import { underApplyLocks } from '../runtime/steps/apply-locks.js';
import { decide } from '../runtime/steps/decide.js';
import { fetchRevision } from '../runtime/steps/fetch-revision.js';
import { holdDriftStep } from '../runtime/steps/hold-drift.js';
import { load } from '../runtime/steps/load.js';
import { observe } from '../runtime/steps/observe.js';
import { plan } from '../runtime/steps/plan.js';
import { policyGate } from '../runtime/steps/policy-gate.js';
import { recoverRuns } from '../runtime/steps/recover-runs.js';
import { resolve } from '../runtime/steps/resolve.js';
import { siteIdOf } from '../spec/spec.js';
import { timedStep, type OnStepTimed } from '../runtime/timed-step.js';
import { durationSeconds } from '../spec/duration.js';
import { decidePlan, mayApply } from './apply-policy.js';
import { verifySignature } from './signature-step.js';
import { withSiteObservation } from './snapshot-observation.js';
import type { ControllerConfig, SiteConfig } from './controller-config.js';

/** What every run the controller makes for a site (a reconcile, a drift check) is given. */
export interface SiteRunContext {
  controller: Pick<ControllerConfig, 'stateDir' | 'secretsDir'>;
  site: SiteConfig;
  /** The controller's environment and working directory, as the CLI's helpers read them; warnings go to the log. */
  io: CliIO;
  queue: KeyedQueue;
  clock: Clock;
  timers: Timers;
  stop: { requested(): ErrorRecord | undefined };
  onEvent(event: ReconcileEvent): void;
  /** The site's kept SSH connections (transport/connection-pool.ts); without it the run opens and closes its own. */
  transport?: Opener<Revision, Transport>;
}

export interface SiteReconcileContext extends SiteRunContext {
  /** The plan hash approved for this site (approve policy), as the store holds it now. */
  approvedPlanHash: string | null;
  status: StatusWriter<ReconcileState>;
  /** Each step's duration, as it ends (the debug log). */
  onStep?: OnStepTimed;
}

/** The CLI's options that say the same as the site's configuration. */
export function siteLiveOptions(controller: SiteReconcileContext['controller'], site: SiteConfig): LiveOptions {
  return {
    repo: site.source.repository,
    ...(site.source.ref ? { rev: site.source.ref } : {}),
    ...(controller.stateDir ? { stateDir: controller.stateDir } : {}),
    ...(site.secretsDir ?? controller.secretsDir ? { secretsDir: (site.secretsDir ?? controller.secretsDir) as string } : {}),
    ...(site.source.knownHosts ? { knownHosts: site.source.knownHosts } : {}),
    gitKeySecret: site.source.credentialsSecret,
    concurrency: String(site.concurrency),
  };
}

/** A source read that never ends (a Git server that accepts and never answers) fails the reconcile instead of holding the site. */
export function timedSource(source: SourceReader, ms: number, timers: Timers, repo: string): SourceReader {
  return {
    read: () =>
      new Promise((resolvePromise, reject) => {
        const cancel = after(timers, ms, () => reject(new UnderlayError({ code: 'SourceTimeout', message: `reading ${repo} took longer than ${ms / 1000}s`, data: { repo } })));
        source.read().then(
          (revision) => (cancel(), resolvePromise(revision)),
          (error: unknown) => (cancel(), reject(error)),
        );
      }),
    ...(source.at ? { at: source.at.bind(source) } : {}),
  };
}

/** A revision whose Site document names another site would write that site's state. */
function siteIdCheck(expected: string): RuntimeStep {
  return {
    name: 'site-id',
    async run(state) {
      const actual = siteIdOf(required(state.spec, 'a loaded spec', 'site-id'));
      if (actual === expected) return { type: 'continue', state };
      return { type: 'stall', code: 'SiteIdMismatch', message: `the revision's Site document is named "${actual}", but the controller configures this site as "${expected}"` };
    },
  };
}

/**
 * The steps for this moment: plan only (and say why not more), or plan and apply under the locks.
 * `verify`: the commit-signature step; `onStep`: each step's duration (those under the locks too).
 */
export function siteSteps(site: SiteConfig, approvedPlanHash: string | null, clock: Clock, extra: { verify?: RuntimeStep; onStep?: OnStepTimed } = {}): RuntimeStep[] {
  const { verify, onStep } = extra;
  const timed = (steps: RuntimeStep[]): RuntimeStep[] => (onStep ? steps.map((s) => timedStep(s, clock, onStep)) : steps);
  const policy = { apply: site.apply, approvedPlanHash };
  const gate = policyGate((p: Plan) => decidePlan({ ...policy, now: clock.now() }, p));
  const head = [fetchRevision, ...(verify ? [verify] : []), load, siteIdCheck(site.name)];
  // Drift is the drift policy's (ADR 0028): the plan shown, approved and applied leaves it out.
  const planned = [resolve, observe, resolve, plan(), holdDriftStep];
  if (!mayApply({ ...policy, now: clock.now() })) return timed([...head, ...planned, ...(site.apply.policy === 'plan-only' ? [] : [gate])]);
  const locking = { lockTimeoutMs: 0, leaseTtlSeconds: DEFAULT_LEASE_TTL_SECONDS };
  return timed([...head, underApplyLocks(locking, timed([recoverRuns, ...planned, gate, decide(), apply]))]);
}

export async function reconcileSite(ctx: SiteReconcileContext): Promise<Reconciled<ReconcileState>> {
  const { site } = ctx;
  const options = siteLiveOptions(ctx.controller, site);
  const reconcile = cliReconcileDeps(options, ctx.io, ctx.onEvent, ctx.transport ? { kept: ctx.transport } : {});
  const source = timedSource(reconcile.deps.source, durationSeconds(site.source.timeout) * 1000, ctx.timers, site.source.repository);
  try {
    const steps = siteSteps(site, ctx.approvedPlanHash, ctx.clock, { ...(site.source.verifySignatures ? { verify: verifySignature(ctx.controller, site, ctx.io) } : {}), ...(ctx.onStep ? { onStep: ctx.onStep } : {}) });
    return await runReconcile({ site: site.name, state: initialState() }, withSiteObservation(site, steps, ctx.io), {
      ...reconcile.deps,
      source,
      queue: ctx.queue,
      status: ctx.status,
      clock: ctx.clock,
      timers: ctx.timers,
      stop: ctx.stop,
    });
  } finally {
    await reconcile.close();
  }
}
