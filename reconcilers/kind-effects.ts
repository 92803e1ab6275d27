/**
 * One reconciler per node resource kind, behind one interface: a pure diff (used by the planner, also
 * offline against a saved inventory) and a side-effecting apply (used by apply, over a Transport).
 */
import type { ObservedResource } from '../controller/inventory/inventory.js';
import type { Action, Change } from '../controller/model/change.js';
import type { NodeResourceSpec } from '../controller/model/desired.js';
import type { NodeEndpoint, Transport } from '../controller/transport/transport.js';
import type { ServiceDefinitionCache } from './service/definition.js';

export interface DiffInput<S extends NodeResourceSpec, O extends ObservedResource> {
  /** Null when the resource is no longer in Git (a prune candidate). */
  desired: S | null;
  /** Undefined when the probe did not see it (or nothing was observed: the empty inventory). */
  observed: O | undefined;
  /** Hash recorded in the node's managed list when underlay last applied it; undefined if not managed. */
  managedHash: string | undefined;
  /** Hash of the desired spec (canonical JSON), comparable with managedHash. */
  desiredHash: string | undefined;
  serviceManager: 'runit' | 'systemd';
  /** The planner's notion of "now" (ISO time), for expiry decisions; passed in so diffs stay pure. */
  now?: string;
  /** Renders service definitions once per distinct spec during one plan; without it each diff renders its own. */
  serviceDefinitions?: ServiceDefinitionCache;
}

export interface DiffResult {
  action: Action;
  reason: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** Whether the change disturbs something running (restarts, stops): such changes go through rollout batches. */
  disruptive?: boolean;
}

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

export interface NodeReconciler<S extends NodeResourceSpec = NodeResourceSpec, O extends ObservedResource = ObservedResource> {
  kind: S['kind'];
  /** Pure. Null means nothing to do. Restarts triggered by other resources are decided by the planner. */
  diff(input: DiffInput<S, O>): DiffResult | null;
  /** Carries out one planned change on the node. Must be idempotent: a crash may make apply run it twice. */
  apply(ctx: ApplyContext, change: Change): Promise<void>;
}
