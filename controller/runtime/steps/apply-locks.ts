/**
 * The locks apply holds (ADR 0008): the site lock, then a lease on every node, taken before anything is
 * observed, so the plan is made and carried out by the only writer. The steps given run under them, and
 * the locks are given back however those end: the leases of nodes that failed are left to expire.
 */
import { takeApplyLocks } from '../../apply/apply-locks.js';
import { siteEndpoints } from '../../apply/apply-targets.js';
import type { ChangeSet } from '../../apply/change-set.js';
import { byCodeUnit } from '../../model/order.js';
import { siteIdOf } from '../../spec/spec.js';
import { resultOf, runSteps, type Reconciled } from '../reconcile.js';
import { required, type ReconcileState } from '../reconcile-state.js';
import type { RuntimeStep } from '../runtime-deps.js';

export interface ApplyLockOptions {
  /** How long to wait for another apply to let go (0: refuse at once). */
  lockTimeoutMs: number;
  leaseTtlSeconds: number;
}

const failedNodes = (changeSet: ChangeSet | undefined): Set<string> =>
  new Set(Object.entries(changeSet?.nodes ?? {}).filter(([, n]) => !n.converged && n.error !== undefined).map(([name]) => name));

export function underApplyLocks(options: ApplyLockOptions, steps: readonly RuntimeStep[]): RuntimeStep {
  return {
    name: 'apply-locks',
    async run(state, deps) {
      const spec = required(state.spec, 'a loaded spec', 'apply-locks');
      const transport = await deps.transport.get(required(state.revision, 'a revision', 'apply-locks'));
      // Opened only now: an apply refused for a flag, a plan or a key leaves no state behind.
      const store = await deps.store.get(siteIdOf(spec));
      const taken = await takeApplyLocks({ store, transport, endpoints: siteEndpoints(spec), ...options, concurrency: deps.concurrency, clock: deps.clock, timers: deps.timers });
      if (!taken.held) {
        deps.onEvent({ type: 'locks-refused', errors: taken.errors });
        // Another apply has the site or a node: try again once a lease it did not renew would have expired.
        return { type: 'wait', afterMs: options.leaseTtlSeconds * 1000, code: 'SiteLocked', message: taken.errors.join('; ') };
      }
      const { locks } = taken;
      deps.onEvent({ type: 'locks-taken', notes: locks.notes, duplicates: Object.values(locks.outcome.duplicates).sort((a, b) => byCodeUnit(a.message, b.message)) });
      let inner: Reconciled<ReconcileState> | undefined;
      try {
        inner = await runSteps(steps, { ...state, held: { store, locks } }, deps);
      } finally {
        deps.onEvent({ type: 'locks-released', warnings: await locks.release(failedNodes(inner?.state.changeSet)) });
      }
      const after: ReconcileState = { ...inner.state };
      delete after.held;
      return resultOf(inner.outcome, after);
    },
  };
}
