/**
 * Taking the site lock for an apply (ADR 0008): at once, or polling until a deadline when the operator
 * asked to wait (`--lock-timeout`). A lock whose holder provably died is taken over by the store, and the
 * apply says so; one that may be alive refuses the apply, naming its holder.
 */
import type { Clock, Timers } from '../clock.js';
import { describeHolder, type LockHolder } from '../store/lock-holder.js';
import type { SiteLocks } from '../store/store.js';

/** How often a waiting apply asks again (for the site lock and the node leases alike). */
export const LOCK_POLL_MS = 1000;

export interface LockWait {
  clock: Clock;
  timers: Timers;
  /** Until when (clock ms) to wait for a holder to let go; a deadline already past means "refuse at once". */
  deadline: number;
}

export type SiteLockOutcome = { acquired: true; note?: string } | { acquired: false; message: string };

/** Sleeps one poll interval, or up to the deadline; false when the deadline has passed. */
export async function waitOnce(wait: LockWait): Promise<boolean> {
  const left = wait.deadline - wait.clock.now().getTime();
  if (left <= 0) return false;
  await wait.timers.sleep(Math.min(LOCK_POLL_MS, left));
  return true;
}

export async function acquireSiteLock(store: SiteLocks, token: string, holder: LockHolder, wait: LockWait): Promise<SiteLockOutcome> {
  for (;;) {
    const result = await store.acquireSiteLock(token, holder);
    if (result.acquired) {
      return result.replaced ? { acquired: true, note: `took over the site lock of site ${store.site} from an apply that is no longer running (${describeHolder(result.replaced.holder)})` } : { acquired: true };
    }
    if (!(await waitOnce(wait))) {
      return {
        acquired: false,
        message:
          `site ${store.site} is locked in this state directory by another apply (${describeHolder(result.lock.holder)}): ` +
          'wait for it to finish, give --lock-timeout DURATION to wait for it, or, if it is gone for good, run `underlay force-unlock`',
      };
    }
  }
}
