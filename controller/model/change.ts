/**
 * One change of a plan: what happens to one resource, where, and why. Plain and serialisable: apply takes
 * nothing but these.
 */
import type { Target } from './target.js';

/**
 * `run` is a guarded command that will execute; `restart` a service restarted because something it uses
 * changed; `reload` a running service told to re-read what changed (its reload signal or command), in place.
 */
export type Action = 'create' | 'update' | 'delete' | 'restart' | 'reload' | 'run';

export interface Change {
  /** `<target label>/<resource key>` (targetLabel: 'n1', 'pool:lab'), unique in the plan; `#restart` or `#reload` suffix for those. */
  id: string;
  /** Where it applies: a node, or a service target (an IP pool, a DNS zone). */
  target: Target;
  /** The resource's kind (reconcilers/registry.ts): file, directory, service, ..., ip, dns. */
  kind: string;
  /** Resource key, e.g. 'file:/etc/haproxy/haproxy.cfg'. */
  key: string;
  action: Action;
  /** Observed attributes (null when the resource does not exist). */
  before: Record<string, unknown> | null;
  /** Desired attributes (null for delete). Files carry their full content: apply needs nothing but the plan. */
  after: Record<string, unknown> | null;
  /**
   * resourceHash of the desired spec: what apply records in the node's managed list once the change is done.
   * Absent for deletes (the key is dropped) and for restarts and reloads (the recorded hash stays).
   */
  desiredHash?: string;
  /** Human explanation: what differs, or which dependency triggered a restart or reload. */
  reason: string;
  /** Ids of changes that must complete first. */
  dependsOn: string[];
  /** Disruptive changes go through rollout batches and the circuit breaker. */
  disruptive: boolean;
  /**
   * Present (true) when the change only undoes drift: underlay applied exactly this desired state there, and
   * the target has moved away from it since (a hand edit), or when it is a restart, reload or re-run that only
   * such changes trigger. A controller's reconcile leaves these to the drift policy (ADR 0028).
   */
  drift?: true;
  /** Cluster and step that own the resource (absent for prunes of resources no longer in Git). */
  cluster?: string;
  step?: string;
}
