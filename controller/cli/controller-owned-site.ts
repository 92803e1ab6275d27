/**
 * A CLI `apply` of a site a running `underlay controller` owns (issue 11 item 6): refused, before any lock is
 * taken or any node is touched, since the controller would apply over it on its next reconcile and two
 * writers take turns undoing each other. The refusal names the controller and what to do instead. A
 * controller that provably died (SIGKILL, a reboot) is taken over with a note, as a dead lock holder is
 * (controller/store/controller-registration.ts).
 */
import { required, type ReconcileState } from '../runtime/reconcile-state.js';
import { proceed } from '../runtime/reconcile-step.js';
import type { Opener, RuntimeStep } from '../runtime/runtime-deps.js';
import { siteIdOf } from '../spec/spec.js';
import { describeController, STALE_AFTER_HEARTBEATS } from '../store/controller-registration.js';
import type { SqliteStore } from '../store/sqlite-store.js';

/** The stall code of such a refusal (docs/controller.md). */
export const CONTROLLER_OWNS_SITE = 'ControllerOwnsSite';

export interface ControllerOwnedSiteDeps {
  stores: Opener<string, SqliteStore>;
  /** False when the state directory has no database yet: no controller runs the site, and none is created just to ask. */
  stateExists: () => boolean;
  note: (text: string) => void;
}

export function refuseWhileControllerRuns({ stores, stateExists, note }: ControllerOwnedSiteDeps): RuntimeStep {
  return {
    name: 'controller-owns-site',
    async run(state: ReconcileState) {
      if (!stateExists()) return proceed(state);
      const site = siteIdOf(required(state.spec, 'a loaded spec', 'controller-owns-site'));
      const claim = (await stores.get(site)).controllerRegistrations().claim();
      if (claim.free) {
        if (claim.replaced) note(`site ${site}: took over from a controller that is no longer running (${describeController(claim.replaced)})`);
        return proceed(state);
      }
      const stale = claim.stale ? ` Its heartbeat is older than ${STALE_AFTER_HEARTBEATS} intervals: it may be hung or on a machine that is gone.` : '';
      return {
        type: 'stall',
        code: CONTROLLER_OWNS_SITE,
        message:
          `site ${site} is run by an underlay controller (${describeController(claim.registration)}): an apply from the command line would fight it, so nothing was done.${stale}\n` +
          '  Instead: `underlay rollout status|pause|resume|abort --cluster C` for its rollouts; `underlay reconcile|approve|suspend|resume --config controller.yaml --site ' +
          `${site}\` (or the controller's API) to reconcile now, approve a plan, or stop it applying; \`underlay plan\`, \`status\` and \`drift\` work as usual.\n` +
          '  If that controller is gone for good, run `underlay force-unlock --controller`.',
      };
    },
  };
}
