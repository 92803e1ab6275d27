/**
 * Carries out a dns change through its zone's provider (controller/targets/zone-provider.ts), which writes
 * the record together with its ownership record. The value observed at plan time goes along as the
 * update's prerequisite.
 */
import { keyIdentity } from '../../controller/model/resource-key.js';
import { APPLIED, type KindEffects, type ZoneApplyContext } from '../kind-effects.js';

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));

export const dnsEffects: KindEffects<ZoneApplyContext> = {
  async apply(ctx, change) {
    const before = change.before === null ? null : str(change.before.value);
    if (change.action === 'delete') {
      // 'dns:<zone>/<name>/<type>': a delete carries no `after`, its key says what it was.
      const [, name = '', type = ''] = keyIdentity(change.key).split('/');
      await ctx.provider.remove(ctx.zone, { name, type, value: before ?? '' });
      return APPLIED;
    }
    const after = change.after ?? {};
    await ctx.provider.upsert(ctx.zone, { name: str(after.name), type: str(after.type), value: str(after.value), ttl: Number(after.ttl) }, before);
    return APPLIED;
  },
};
