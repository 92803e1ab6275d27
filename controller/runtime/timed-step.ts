/**
 * A step that reports how long it ran, for the controller's debug log: where the time of a reconcile goes
 * (a commit to converged is the sum of these, the queue wait before them and the status write after).
 */
import type { Clock } from '../clock.js';
import type { ReconcileStep } from './reconcile-step.js';

export type OnStepTimed = (step: string, durationMs: number) => void;

export function timedStep<S, D>(step: ReconcileStep<S, D>, clock: Clock, onTimed: OnStepTimed): ReconcileStep<S, D> {
  return {
    name: step.name,
    async run(state, deps) {
      const start = clock.now().getTime();
      try {
        return await step.run(state, deps);
      } finally {
        onTimed(step.name, clock.now().getTime() - start);
      }
    },
  };
}
