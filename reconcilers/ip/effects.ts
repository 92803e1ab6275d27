/**
 * Carries out an ip change in its pool's ledger: an allocation is recorded (durably, before anything that
 * uses the address is applied: those changes depend on this one), a release marks it released.
 */
import { keyIdentity } from '../../controller/model/resource-key.js';
import { APPLIED, type KindEffects, type PoolApplyContext } from '../kind-effects.js';

/** 'ip:<pool>/<name>' -> name. */
const nameOf = (key: string): string => {
  const poolAndName = keyIdentity(key);
  return poolAndName.slice(poolAndName.indexOf('/') + 1);
};

export const ipEffects: KindEffects<PoolApplyContext> = {
  async apply(ctx, change) {
    const name = nameOf(change.key);
    if (change.action === 'delete') await ctx.ledger.release({ pool: ctx.pool, name });
    else await ctx.ledger.allocate({ pool: ctx.pool, name, address: String(change.after?.address) });
    return APPLIED;
  },
};
