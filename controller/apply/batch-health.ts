/**
 * A rollout batch's health work on the nodes, around its changes (ADR 0020): the check before the batch (is
 * the cluster healthy, and how many members are down already?), each node's drain steps before its
 * changes, its gates after them, and its undrain steps once they pass. The decisions are the batch's
 * (batch-start.ts, rollout-gate.ts); this runs the steps and says what came of them.
 */
import type { DesiredGate, DrainStep } from '../model/health-gate.js';
import { gatesOf } from '../model/health-gate.js';
import type { RolloutIntents } from '../model/rollout.js';
import { describeError } from '../model/errors.js';
import { capGateOutput } from '../rollout/gate-output.js';
import type { Redact } from '../secrets/secret-redactor.js';
import type { Change } from '../model/change.js';
import type { ApplyRun } from './apply-run.js';
import type { GateAttempt, GateProbes, GateRunner, GateVerdict } from './gate-runner.js';
import type { HealthCheck } from './health-check.js';

export interface BatchHealthDeps {
  runner: GateRunner;
  probes: GateProbes;
  redact: Redact;
  /** When the batch's gates began: its deadline counts from here. */
  now: () => Date;
}

type ClusterGate = Extract<DesiredGate, { type: 'cluster' }>;

/** The member's own rendering of a cluster gate of that name, else the batch node's. */
function memberGate(declared: RolloutIntents['gates']): (member: string, gate: ClusterGate) => ClusterGate {
  return (member, gate) => (declared?.[member]?.gates.find((g) => g.name === gate.name && g.type === 'cluster') as ClusterGate | undefined) ?? gate;
}

/** Every member of the rollout's cluster that declares gates, and the batches' nodes, sorted. */
export function rolloutMembers(rollout: RolloutIntents): string[] {
  return [...new Set([...Object.keys(rollout.gates ?? {}), ...rollout.batches.flatMap((b) => b.nodes)])].sort();
}

export interface NodeGatesAt {
  rollout: RolloutIntents;
  node: string;
  /** Members a cluster gate may run on, likeliest healthy first. */
  members: readonly string[];
  serviceUp: () => Promise<GateAttempt>;
  /** The check before a batch: one attempt of each gate. */
  once: boolean;
  /** Only these of the node's gates. */
  only?: (gate: DesiredGate) => boolean;
  /** From now: no new attempt starts after this. */
  deadlineSeconds: number;
}

/** The node's gates: service-up, then the declared ones, each retried until the deadline (unless `once`). */
export function runNodeGates(deps: BatchHealthDeps, at: NodeGatesAt): Promise<GateVerdict> {
  const declared = at.rollout.gates;
  const gates = gatesOf(declared?.[at.node]).filter(at.only ?? (() => true));
  const deadline = new Date(deps.now().getTime() + at.deadlineSeconds * 1000);
  return deps.runner.runNodeGates({ node: at.node, gates, deadline, serviceUp: at.serviceUp, members: at.members, memberGate: memberGate(declared), once: at.once });
}

/**
 * service-up, one try: the kinds of `changes` (what a batch restarted on the node, or is about to) say
 * whether their services run; nothing to ask is up, and a check that throws is a failed one, with why.
 */
export function serviceUpOf(run: ApplyRun, node: string, healthCheck: HealthCheck, changes: readonly Change[]): () => Promise<GateAttempt> {
  return async () => {
    const ctx = run.context(node);
    if (!ctx || changes.length === 0) return { healthy: true, output: '' };
    try {
      const health = await healthCheck.check(ctx, changes);
      return health.healthy ? { healthy: true, output: '' } : { healthy: false, output: health.message };
    } catch (e) {
      return { healthy: false, output: `health check failed: ${describeError(e)}` };
    }
  };
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
