/**
 * The health gate after a rollout batch: is what the batch's disruptive changes restarted running again?
 * Asked of each change's kind when its effects can answer (services); kinds that cannot are taken as healthy.
 */
import type { NodeApplyContext, HealthResult } from '../../reconcilers/kind-effects.js';
import type { EffectsLookup } from '../../reconcilers/effects.js';
import type { Change } from '../model/change.js';

export interface HealthCheck {
  check(ctx: NodeApplyContext, changes: readonly Change[]): Promise<HealthResult>;
}

export function kindHealthCheck(effects: EffectsLookup): HealthCheck {
  return {
    async check(ctx, changes) {
      const problems: string[] = [];
      for (const change of changes) {
        const health = effects(change.kind)?.health;
        if (!health) continue;
        const result = await health(ctx, change);
        if (!result.healthy) problems.push(`${change.key}: ${result.message}`);
      }
      return problems.length === 0 ? { healthy: true } : { healthy: false, message: problems.join('; ') };
    },
  };
}
