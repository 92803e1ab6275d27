/**
 * The rollout circuit breaker, after Cluster API's MachineHealthCheck short-circuit: a pure decision from
 * the failures so far and the cluster's budget. Tripping is not an error to retry but a state to show:
 * the caller records it as a loud RolloutHalted condition.
 */
export interface BreakerInput {
  cluster: string;
  /** Nodes of the cluster that failed so far in this rollout (a change or the health gate). */
  failedNodes: readonly string[];
  /** Failed nodes tolerated; one more trips the breaker. */
  failureBudget: number;
  /** Batches still to go, for the message. */
  remainingBatches: number;
  /** What a trip does to the rollout (the policy's onFailure), for the message; default halt. */
  onFailure?: 'halt' | 'pause';
}

export type BreakerDecision =
  | { state: 'allowed' }
  | { state: 'tripped'; reason: 'FailureBudgetExceeded'; message: string };

export function circuitBreaker(input: BreakerInput): BreakerDecision {
  const failures = input.failedNodes.length;
  if (failures <= input.failureBudget) return { state: 'allowed' };
  const nodes = [...input.failedNodes].sort().join(', ');
  return {
    state: 'tripped',
    reason: 'FailureBudgetExceeded',
    message:
      `rollout of cluster ${input.cluster} ${input.onFailure === 'pause' ? 'paused' : 'halted'}: ${failures} node(s) failed (${nodes}), ` +
      `failure budget is ${input.failureBudget}; ${input.remainingBatches} remaining batch(es) not started`,
  };
}
