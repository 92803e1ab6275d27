/**
 * Apply: the decided plan carried out on the nodes the leases allow (controller/apply/apply-plan.ts),
 * journalled. A halted rollout stalls (it stays halted until someone looks), and so does one of this
 * revision that stopped before (paused, halted, aborted): apply refuses it; failed nodes fail the
 * reconcile, so a driver that retries backs off.
 */
import { leasedTargets } from '../../apply/apply-locks.js';
import { applyPlan } from '../../apply/apply-plan.js';
import { applyTargets } from '../../apply/apply-targets.js';
import { pipelineRollbackSource } from '../../apply/rollback-source.js';
import type { Inventory } from '../../model/observed.js';
import type { SecretSource } from '../../secrets/secret-source.js';
import type { Transport } from '../../transport/transport.js';
import type { RollbackSource } from '../../apply/rollback-apply.js';
import { stoppedRollouts } from '../../apply/cluster-rollouts.js';
import { required } from '../reconcile-state.js';
import { secretRedactor, siteSecretNames } from '../../secrets/secret-redactor.js';
import { proceed } from '../reconcile-step.js';
import type { RuntimeDeps, RuntimeStep } from '../runtime-deps.js';

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A failed node goes back to its cluster's last good revision through this same pipeline (ADR 0026), when the source reads other commits. */
function rollbackOption(deps: RuntimeDeps, at: { inventory: Inventory; transport: Transport; secrets: SecretSource | undefined }): { rollback?: RollbackSource } {
  const readAt = deps.source.at?.bind(deps.source);
  if (!readAt) return {};
  const { secrets, ...rest } = at;
  return { rollback: pipelineRollbackSource({ ...rest, ...(secrets ? { secrets } : {}), readRevision: readAt, registry: deps.registry, clock: deps.clock }) };
}

export const apply: RuntimeStep = {
  name: 'apply',
  async run(state, deps) {
    const plan = required(state.plan, 'a decided plan', 'apply');
    const inventory = required(state.inventory, 'an inventory', 'apply');
    const { store, locks } = required(state.held, 'the apply locks', 'apply');
    const { nodes, unreachable } = leasedTargets(applyTargets(required(state.desired, 'a resolved Desired', 'apply'), inventory), locks.outcome);
    const observedRecord = (node: string) => {
      const n = inventory.nodes[node];
      return n ? { entries: n.managed, ...(n.owner ? { owner: n.owner } : {}) } : undefined;
    };
    // The run's id reaches the lock and the leases as it begins; its absence there is no reason to stop.
    let pendingAttach: Promise<void> = Promise.resolve();
    const attach = (runId: number): Promise<void> => locks.attachRun(runId).catch((error: unknown) => deps.onEvent({ type: 'run-unattached', message: message(error) }));
    // A rollout of this revision that stopped waits for an operator (`underlay rollout resume|abort`) or a fix.
    const stopped = await stoppedRollouts(store, plan);
    if (stopped.length > 0) return { type: 'stall', code: stopped[0]!.type, message: stopped.map((c) => c.message).join('; '), state };
    const secrets = await deps.secrets?.get(store.site);
    // Gate and drain output is redacted of every secret the site names before it reaches status or alerts.
    const redact = secrets && state.spec ? await secretRedactor(secrets, siteSecretNames(state.spec)) : undefined;
    const transport = await deps.transport.get(required(state.revision, 'a revision', 'apply'));
    const changeSet = await applyPlan({
      plan,
      nodes,
      unreachable,
      transport,
      targets: (await deps.targets?.get(store.site)) ?? {},
      ...(deps.issuer ? { issuer: await deps.issuer.get(store.site) } : {}),
      registry: deps.registry,
      effects: deps.effects,
      managedRecord: deps.managedRecord({ site: store.site, fence: locks.token }, observedRecord),
      store,
      clock: deps.clock,
      timers: deps.timers,
      concurrency: deps.concurrency,
      onEvent: (event) => {
        if (event.type === 'run-started') pendingAttach = attach(event.runId);
        deps.onEvent({ type: 'apply', event });
      },
      ...(deps.fault ? { fault: deps.fault } : {}),
      ...(deps.stop ? { stop: deps.stop } : {}),
      ...(secrets ? { secrets } : {}),
      ...(redact ? { redact } : {}),
      ...rollbackOption(deps, { inventory, transport, secrets }),
      leases: locks.leases,
    });
    await pendingAttach;
    deps.onEvent({ type: 'applied', changeSet });
    const next = { ...state, changeSet };
    // Stopped with changes left: the next start re-observes and carries them out.
    if (changeSet.status === 'interrupted') return { type: 'wait', afterMs: 0, code: 'ControllerStopping', message: `run ${changeSet.runId} was interrupted: the controller is stopping`, state: next };
    if (changeSet.status === 'halted') return { type: 'stall', code: 'RolloutHalted', message: changeSet.conditions.map((c) => c.message).join('; '), state: next };
    if (changeSet.status === 'failed') return { type: 'fail', error: new Error(`run ${changeSet.runId} failed on ${Object.values(changeSet.nodes).filter((n) => n.error !== undefined).length} node(s)`), state: next };
    return proceed(next);
  },
};
