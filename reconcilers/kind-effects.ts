/**
 * The effectful half of a kind's contract: carrying out a planned change on its target, and telling whether
 * what it restarted is healthy. Imported only by observe and apply (through reconcilers/effects.ts); the pure
 * facets are in kind.ts.
 */
import type { Change } from '../controller/model/change.js';
import type { NodeEndpoint, Transport } from '../controller/transport/transport.js';

export interface ApplyContext {
  transport: Transport;
  node: NodeEndpoint;
  serviceManager: 'runit' | 'systemd';
  /** The apply run doing this (its journal id and plan hash): recorded in what a change leaves on the node. */
  run?: { id: number; planHash: string };
  /**
   * Set only when a crash test armed the `during` fault point for this change (controller/apply/fault-
   * injection.ts): the reconciler awaits it at its most delicate moment (a file's temporary copy written but
   * not renamed; a service's definition written but not yet restarted), and it never resolves.
   */
  duringFault?: () => Promise<void>;
  /**
   * Set only when a crash test armed a fault point inside this change's managed-record update: the update
   * stops for good with the new record staged on the node but not renamed (`record-staged`), or after
   * sending fewer bytes than it announced (`record-truncated`), as a controller killed mid-send would.
   */
  recordFault?: { point: 'record-staged' | 'record-truncated'; reach: () => Promise<void> };
}

/** What apply did with one change: journalled as such, and shown. */
export interface ApplyOutcome {
  result: 'applied' | 'skipped';
  /** Why a change was skipped, or something the operator should know (e.g. a run adopted instead of repeated). */
  message?: string;
}

export const APPLIED: ApplyOutcome = { result: 'applied' };

export type HealthResult = { healthy: true } | { healthy: false; message: string };

export interface KindEffects {
  /** Carries out one planned change. Must be idempotent: a crash may make apply run it twice. */
  apply(ctx: ApplyContext, change: Change): Promise<ApplyOutcome>;
  /**
   * The rollout health gate, after a batch: is what this change restarted running now? Kinds without it
   * are taken as healthy.
   */
  health?(ctx: ApplyContext, change: Change): Promise<HealthResult>;
}
