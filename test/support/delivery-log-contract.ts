/**
 * What every DeliveryLog (controller/watch/delivery-log.ts) must do, checked on the in-memory log and on
 * the store's alike: given a log of capacity 3, the oldest id is forgotten past it, and a forgotten
 * delivery (not acted on) is taken again.
 */
import type { ExecutionContext } from 'ava';
import type { DeliveryLog } from '../../controller/watch/delivery-log.js';

export function checkBoundedDeliveryLog(t: ExecutionContext, log: DeliveryLog & { readonly size: number }): void {
  for (const id of ['a', 'b', 'c']) t.true(log.firstTime(id));
  t.false(log.firstTime('a'));
  t.true(log.firstTime('d'));
  t.is(log.size, 3);
  t.true(log.firstTime('a'), 'the oldest was pushed out');
  t.false(log.firstTime('d'));
  log.forget('d');
  t.true(log.firstTime('d'), 'a delivery not acted on is not a replay when retried');
  t.is(log.size, 3);
}
