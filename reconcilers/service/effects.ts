import { keyIdentity } from '../../controller/model/resource-key.js';
import type { KindEffects } from '../kind-effects.js';
import { applyService, serviceBackend } from './apply.js';

export const serviceEffects: KindEffects = {
  apply: applyService,
  // A removed or disabled service has nothing left to run: stopping it was the point.
  health: async (ctx, change) =>
    change.action === 'delete' || change.after?.enabled === false ? { healthy: true } : serviceBackend(ctx.serviceManager).health(ctx, keyIdentity(change.key)),
};
