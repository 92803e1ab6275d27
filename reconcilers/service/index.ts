import type { ObservedService } from '../../controller/inventory/inventory.js';
import type { DesiredService } from '../../controller/resolve/desired.js';
import type { NodeReconciler } from '../reconciler.js';
import { applyService } from './apply.js';
import { diffService } from './diff.js';

export const serviceReconciler: NodeReconciler<DesiredService, ObservedService> = {
  kind: 'service',
  diff: diffService,
  // The outcome (applied, or skipped with a message) is for callers that import applyService directly.
  apply: async (ctx, change) => {
    await applyService(ctx, change);
  },
};
