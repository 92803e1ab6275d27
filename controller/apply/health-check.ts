/**
 * The health gate after a rollout batch: is what the batch's disruptive changes restarted running again?
 * Asked of the reconciler of each change's kind when it can answer; kinds that cannot are taken as healthy.
 */
import type { ApplyContext, NodeReconciler } from '../../reconcilers/kind-effects.js';
import type { Change } from '../model/change.js';

export type HealthResult = { healthy: true } | { healthy: false; message: string };

export interface HealthCheck {
  check(ctx: ApplyContext, changes: readonly Change[]): Promise<HealthResult>;
}

/** What a reconciler offers when it can tell whether the result of a change is healthy (services). */
export interface HealthProbe {
  checkHealth(ctx: ApplyContext, change: Change): Promise<HealthResult>;
}

const hasHealthProbe = (r: unknown): r is HealthProbe =>
  typeof r === 'object' && r !== null && typeof (r as Partial<HealthProbe>).checkHealth === 'function';

export function reconcilerHealthCheck(lookup: (kind: Change['kind']) => NodeReconciler | undefined): HealthCheck {
  return {
    async check(ctx, changes) {
      const problems: string[] = [];
      for (const change of changes) {
        const reconciler = lookup(change.kind);
        if (!hasHealthProbe(reconciler)) continue;
        const result = await reconciler.checkHealth(ctx, change);
        if (!result.healthy) problems.push(`${change.key}: ${result.message}`);
      }
      return problems.length === 0 ? { healthy: true } : { healthy: false, message: problems.join('; ') };
    },
  };
}
