/**
 * Carries out dns changes through their zone's provider (controller/targets/zone-provider.ts), which writes
 * each record together with its ownership record. A whole dependency level of one zone goes at once
 * (applyLevel), so the provider can send it in few UPDATE messages; the value observed at plan time goes
 * along as each record's prerequisite.
 */
import type { Change } from '../../controller/model/change.js';
import type { ZoneWrite } from '../../controller/targets/zone-provider.js';
import { APPLIED, type ApplyOutcome, type KindEffects, type ZoneApplyContext } from '../kind-effects.js';
import { dnsKeyParts } from './kind.js';

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));

function zoneWrite(change: Change): ZoneWrite {
  const before = change.before === null ? null : str(change.before.value);
  if (change.action === 'delete') {
    // A delete carries no `after`: its key says what it was.
    const { name, type } = dnsKeyParts(change.key);
    return { id: change.id, record: { name, type, value: before ?? '', ttl: 0 }, before, remove: true };
  }
  const after = change.after ?? {};
  return { id: change.id, record: { name: str(after.name), type: str(after.type), value: str(after.value), ttl: Number(after.ttl) }, before, remove: false };
}

async function applyLevel(ctx: ZoneApplyContext, changes: readonly Change[]): Promise<ReadonlyMap<string, ApplyOutcome | { error: unknown }>> {
  const failed = await ctx.provider.write(ctx.zone, changes.map(zoneWrite));
  return new Map(changes.map((c) => [c.id, failed.has(c.id) ? { error: failed.get(c.id) } : APPLIED]));
}

export const dnsEffects: KindEffects<ZoneApplyContext> = {
  applyLevel,
  async apply(ctx, change) {
    const failed = (await ctx.provider.write(ctx.zone, [zoneWrite(change)])).get(change.id);
    if (failed) throw failed;
    return APPLIED;
  },
};
