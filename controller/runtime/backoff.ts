/**
 * When a driver that retries (the controller loop) reconciles a site again, from how the last reconcile
 * ended (Flux's rule): never by itself after success or a stall (a new commit or an operator starts the
 * next), after the step's own delay for a wait, and after a growing, jittered delay for a failure, so that
 * many sites failing at once (a Git server down) do not retry in step. The randomness is passed in, like
 * the clock, so a test fixes it.
 */
import type { ReconcileOutcome } from './reconcile-step.js';

export interface BackoffPolicy {
  /** The delay cap of the first retry; it doubles with each failed attempt... */
  baseMs: number;
  /** ...up to this. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 10 * 60_000 };

/**
 * The delay before retry `attempt` (0: the first) after a failure: between half the cap and the cap
 * ("equal jitter"), so it always grows with the attempts, yet two sites rarely retry at the same moment.
 */
export function backoff(attempt: number, random: () => number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(cap / 2 + (cap / 2) * random());
}

/** Milliseconds until the next reconcile after `outcome`, or null: not until something changes. */
export function retryAfter(outcome: ReconcileOutcome, attempt: number, random: () => number, policy: BackoffPolicy = DEFAULT_BACKOFF): number | null {
  if (outcome.type === 'wait') return outcome.afterMs;
  if (outcome.type === 'fail') return backoff(attempt, random, policy);
  return null;
}
