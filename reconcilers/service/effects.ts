import type { ObservedService } from '../../controller/inventory/inventory.js';
import type { DesiredService } from '../../controller/model/desired.js';
import type { HealthProbe } from '../../controller/apply/health-check.js';
import { keyIdentity } from '../apply-outcome.js';
import type { NodeReconciler } from '../kind-effects.js';
import { applyService, serviceBackend } from './apply.js';
import { diffService } from './diff.js';

export const serviceReconciler: NodeReconciler<DesiredService, ObservedService> & HealthProbe = {
  kind: 'service',
  diff: diffService,
  // The outcome (applied, or skipped with a message) is for callers that import applyService directly.
  apply: async (ctx, change) => {
    await applyService(ctx, change);
  },
  // A removed or disabled service has nothing left to run: stopping it was the point.
  checkHealth: async (ctx, change) =>
    change.action === 'delete' || change.after?.enabled === false
      ? { healthy: true }
      : serviceBackend(ctx.serviceManager).health(ctx, keyIdentity(change.key)),
};
