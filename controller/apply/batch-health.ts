/**
 * A rollout batch's health work on the nodes, around its changes (ADR 0020): the check before the batch (is
 * the cluster healthy, and how many members are down already?), each node's drain steps before its
 * changes, its gates after them, and its undrain steps once they pass. The decisions are the batch's
 * (batch-start.ts, rollout-gate.ts); this runs the steps and says what came of them.
 */
import type { ClusterHealth, DesiredGate, DrainStep } from '../model/health-gate.js';
import { gatesOf } from '../model/health-gate.js';
import type { RolloutBatches } from '../model/plan.js';
import { describeError } from '../model/errors.js';
import { capGateOutput } from '../rollout/gate-output.js';
import type { Redact } from '../secrets/secret-redactor.js';
import type { GateAttempt, GateRunner, GateVerdict } from './gate-runner.js';
import type { GateProbes } from './gate-runner.js';

export interface BatchHealthDeps {
  runner: GateRunner;
  probes: GateProbes;
  redact: Redact;
  /** When the batch's gates began: its deadline counts from here. */
  now: () => Date;
}

type ClusterGate = Extract<DesiredGate, { type: 'cluster' }>;

/** The member's own rendering of a cluster gate of that name, else the batch node's. */
function memberGate(health: ClusterHealth | undefined): (member: string, gate: ClusterGate) => ClusterGate {
  return (member, gate) => (health?.members[member]?.gates.find((g) => g.name === gate.name && g.type === 'cluster') as ClusterGate | undefined) ?? gate;
}

/** Every member of the rollout's cluster that declares gates, and the batches' nodes, sorted. */
export function rolloutMembers(rollout: RolloutBatches): string[] {
  return [...new Set([...Object.keys(rollout.health?.members ?? {}), ...rollout.batches.flat()])].sort();
}

export interface NodeGatesAt {
  rollout: RolloutBatches;
  node: string;
  /** Members a cluster gate may run on, likeliest healthy first. */
  members: readonly string[];
  serviceUp: () => Promise<GateAttempt>;
  /** The check before a batch: one attempt of each gate. */
  once: boolean;
  /** Only these of the node's gates. */
  only?: (gate: DesiredGate) => boolean;
}

/**
 * The node's gates: service-up, then the declared ones. Without declarations (a plan from before gates)
 * service-up is asked once, as it always was; with them, each gate is retried until the progress deadline.
 */
export function runNodeGates(deps: BatchHealthDeps, at: NodeGatesAt): Promise<GateVerdict> {
  const health = at.rollout.health;
  const gates = gatesOf(health?.members[at.node]).filter(at.only ?? (() => true));
  const deadline = new Date(deps.now().getTime() + (health?.progressDeadlineSeconds ?? 0) * 1000);
  return deps.runner.runNodeGates({ node: at.node, gates, deadline, serviceUp: at.serviceUp, members: at.members, memberGate: memberGate(health), once: at.once || !health });
}

/** A drain or undrain step's failure: which step, where, and what it printed (redacted, capped). */
export interface StepFailure {
  step: number;
  on: string;
  output: string;
}

/** The steps in order; the first that fails stops the rest. */
export async function runDrainSteps(deps: BatchHealthDeps, steps: readonly DrainStep[]): Promise<StepFailure | undefined> {
  for (const [i, step] of steps.entries()) {
    let output: string;
    try {
      const result = await deps.probes.exec(step.on, step.argv, { timeoutMs: 60_000 });
      if (result.code === 0) continue;
      output = `exit ${result.code}: ${`${result.stdout.toString('utf8')}${result.stderr.toString('utf8')}`.trimEnd()}`;
    } catch (e) {
      output = describeError(e);
    }
    return { step: i + 1, on: step.on, output: capGateOutput(deps.redact(output)) };
  }
  return undefined;
}

export const describeVerdict = (v: Extract<GateVerdict, { healthy: false }>): string =>
  `gate ${v.gate} ${v.deadlineExceeded ? `did not pass by the progress deadline (${v.attempts} attempt${v.attempts === 1 ? '' : 's'})` : 'failed'}: ${v.output}`;
