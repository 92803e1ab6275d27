/**
 * A node's concrete health gates and drain steps, as resolve renders them and the plan carries them: what
 * apply runs, exactly, around the node's rollout batch. Public values only: a gate never holds a secret.
 */

export type GateCheck =
  /** The services the batch restarted (or reloaded) on the node are up again: the built-in gate. */
  | { type: 'service-up' }
  | { type: 'tcp'; host: string; port: number; from?: string }
  | { type: 'http'; url: string; status: number; body?: string; caCertificate?: string; from?: string }
  /** Runs on the node; healthy when it exits with exitCode. */
  | { type: 'command'; argv: string[]; exitCode: number }
  /** Runs once per batch on a healthy member of the cluster. */
  | { type: 'cluster'; argv: string[]; exitCode: number };

export type DesiredGate = GateCheck & {
  name: string;
  /** One attempt's limit; attempts repeat until the batch's progress deadline. */
  timeoutSeconds: number;
  /** Who declared it: `module etcd (step etcd)`, `cluster lab`, `site`. */
  origin: string;
};

export interface DrainStep {
  argv: string[];
  /** The node it runs on: the drained node itself unless the step names another. */
  on: string;
  origin: string;
}

/** What one member of a cluster declares: gates besides service-up, and its drain and undrain steps, in order. */
export interface NodeGates {
  gates: DesiredGate[];
  drain: DrainStep[];
  undrain: DrainStep[];
}

export const SERVICE_UP: DesiredGate = { name: 'service-up', type: 'service-up', timeoutSeconds: 10, origin: 'built in' };

/** The gates a node's batch waits for: service-up first, then the declared ones in order. */
export function gatesOf(declared: NodeGates | undefined): DesiredGate[] {
  return [SERVICE_UP, ...(declared?.gates ?? [])];
}
