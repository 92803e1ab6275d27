/**
 * A cluster's rollout as the store keeps it between processes (ADR 0019): the state a resume reads
 * (controller/rollout/rollout-state.ts), an operator's request to a running rollout, and the last revision
 * whose rollout of the cluster completed without tripping (what a rollback re-applies).
 */
import { z } from 'zod';
import type { RolloutRequest } from '../rollout/rollout-control.js';
import type { RolloutState } from '../rollout/rollout-state.js';

/** Asked of a running rollout by `underlay rollout pause|abort` (rollout-control.ts): the apply running it acts on it before its next batch. */
export type { RolloutRequest } from '../rollout/rollout-control.js';

export interface StoredRollout {
  cluster: string;
  state: RolloutState;
  request: RolloutRequest | null;
  lastGoodRevision: string | null;
  updatedAt: string;
}

/** What to write: a new state, a request (null clears it); an absent field stays as it is. */
export interface RolloutWrite {
  state?: RolloutState;
  request?: RolloutRequest | null;
}

export interface RolloutStates {
  readonly site: string;
  rolloutState(cluster: string): Promise<StoredRollout | null>;
  /** Every cluster's, by name. */
  rolloutStates(): Promise<StoredRollout[]>;
  /**
   * Reads the cluster's rollout and writes what `change` returns, in one transaction: an apply saving its
   * progress and an operator pausing it never overwrite each other. Returns what is stored afterwards.
   */
  changeRolloutState(cluster: string, change: (current: StoredRollout | null) => RolloutWrite | undefined): Promise<StoredRollout | null>;
}

const GateFailureRow = z.strictObject({ gate: z.string(), result: z.enum(['fail', 'timeout']), output: z.string() });

/** A rollout state as an export holds it: checked field by field, so an import never stores a state a resume cannot read. */
const RolloutStateRow = z.strictObject({
  cluster: z.string().min(1),
  revision: z.string().min(1),
  status: z.enum(['running', 'paused', 'halted', 'aborted', 'completed']),
  reason: z.string().optional(),
  batchesDone: z.array(z.number().int().positive()),
  inFlight: z.strictObject({ batch: z.number().int().positive(), changed: z.array(z.string()), checks: z.record(z.string(), z.array(z.unknown())).optional() }).optional(),
  failed: z.array(z.strictObject({ node: z.string(), batch: z.number().int(), gates: z.array(GateFailureRow) })),
  budget: z.strictObject({ used: z.number().int().nonnegative(), allowed: z.number().int().nonnegative() }),
  rolledBack: z.array(z.string()),
  recovered: z.array(z.string()),
});

/** One exported row (`underlay state export`, section `rollouts`). */
export const RolloutRow = z.strictObject({
  cluster: z.string().min(1),
  state: RolloutStateRow.transform((s) => s as RolloutState),
  request: z.enum(['pause', 'abort']).nullable(),
  lastGoodRevision: z.string().nullable(),
  updatedAt: z.string(),
});
export type RolloutRow = z.output<typeof RolloutRow>;
