/**
 * A site's drift check as the controller runs it (on the site's drift schedule and after every apply), with
 * the same dependencies as `underlay drift` (cli/drift-deps.ts) and in the site's queue, so a check never
 * interleaves with its reconciles. Under plan-only drift is measured against the current revision. Whether
 * it may correct is the apply policy's: `approve` and a closed change window make correction report-only.
 * A site replayed from a recorded inventory (snapshot-observation.ts) is checked against its snapshot.
 */
import { DEFAULT_LEASE_TTL_SECONDS } from '../apply/node-leases.js';
import { cliDriftDeps } from '../cli/drift-deps.js';
import { cliReconcileDeps } from '../cli/reconcile-deps.js';
import type { CorrectionPermit } from '../drift/assess-drift.js';
import { checkDrift } from '../drift/check-drift.js';
import type { DriftReport } from '../drift/drift-report.js';
import { changeWindowAt } from './change-windows.js';
import type { SiteConfig } from './controller-config.js';
import { siteLiveOptions, type SiteRunContext } from './site-reconcile.js';
import { withSiteObservation } from './snapshot-observation.js';

export interface SiteDriftContext extends SiteRunContext {
  random: () => number;
}

/** Whether a correction may be applied now, by the site's apply policy and windows. */
export function correctionPermit(site: SiteConfig, now: Date): CorrectionPermit {
  if (site.apply.policy !== 'auto') return { allowed: false, reason: `policy ${site.apply.policy}: drift is reported, not corrected` };
  const window = changeWindowAt(site.apply.windows, now);
  return window.open ? { allowed: true } : { allowed: false, reason: `change window closed: ${window.reason}` };
}

export async function checkSiteDrift(ctx: SiteDriftContext): Promise<DriftReport> {
  const options = siteLiveOptions(ctx.controller, ctx.site);
  const reconcile = cliReconcileDeps(options, ctx.io, ctx.onEvent, ctx.transport ? { kept: ctx.transport } : {});
  const permit = correctionPermit(ctx.site, ctx.clock.now());
  const deps = { ...cliDriftDeps(options, ctx.io, reconcile), queue: ctx.queue, clock: ctx.clock, timers: ctx.timers, random: ctx.random, permit, stop: ctx.stop };
  try {
    const check = {
      site: ctx.site.name,
      baseline: ctx.site.apply.policy === 'plan-only' ? ('current' as const) : ('last-applied' as const),
      ...(permit.allowed ? { correct: { lockTimeoutMs: 0, leaseTtlSeconds: DEFAULT_LEASE_TTL_SECONDS } } : {}),
    };
    // A rehearsal site (plan-only, so never corrected) is checked against its snapshot.
    return await checkDrift(deps, check, (steps) => withSiteObservation(ctx.site, steps, ctx.io));
  } finally {
    await reconcile.close();
  }
}
