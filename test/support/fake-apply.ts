/**
 * FAKES for apply tests: kind effects, a managed record and a transport that touch no machine, only record
 * what they were asked to do. They test the engine's ordering and bookkeeping; the real reconcilers are
 * tested against real test hosts in test/e2e.
 */
import { gatesOf, type NodeGates } from '../../controller/model/health-gate.js';
import { applyManagedUpdates, type ManagedEntries, type ManagedUpdate } from '../../reconcilers/managed-record-format.js';
import { effectsOf, type EffectsLookup } from '../../reconcilers/effects.js';
import { APPLIED, type NodeApplyContext, type KindEffects } from '../../reconcilers/kind-effects.js';
import { registry } from '../../reconcilers/registry.js';
import { planHash } from '../../controller/plan/make-plan.js';
import { PLAN_API_VERSION, type Plan } from '../../controller/model/plan.js';
import type { RolloutIntents, RolloutPolicy } from '../../controller/model/rollout.js';
import { DEFAULT_GATES } from '../../controller/rollout/rollout-planner.js';
import { DEFAULT_ROLLOUT_POLICY } from '../../controller/spec/rollout-policy.js';
import type { Change } from '../../controller/model/change.js';
import type { Target, TargetType } from '../../controller/model/target.js';
import type { Transport } from '../../controller/transport/transport.js';
import type { Timers } from '../../controller/clock.js';
import type { ApplyNode } from '../../controller/apply/apply-plan.js';
import { UnderlayError } from '../../controller/model/errors.js';
import { fixtureHostKey } from './site-files.js';

/** Timers that wait for nothing, and remember what was asked of them: gate retries and soaks take no real time in tests. */
export function instantTimers(): Timers & { slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    every: () => () => undefined,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  };
}

export const unusedTransport: Transport = {
  exec: () => Promise.reject(new Error('fake reconcilers never use the transport')),
  close: () => Promise.resolve(),
};

export function fakeNodes(names: string[]): Record<string, ApplyNode> {
  return Object.fromEntries(
    names.map((name) => [
      name,
      { endpoint: { name, address: `10.0.0.${names.indexOf(name) + 1}`, port: 22, user: 'root', hostKey: fixtureHostKey(name) }, serviceManager: 'runit' },
    ]),
  );
}

export function change(id: string, fields: Partial<Change> = {}): Change {
  const slash = id.indexOf('/');
  const label = id.slice(0, slash);
  const colon = label.indexOf(':');
  const target: Target = colon < 0 ? { name: label, type: 'node' } : { name: label.slice(colon + 1), type: label.slice(0, colon) as TargetType };
  const key = id.slice(slash + 1);
  const kind = (key.split(':', 1)[0] ?? 'file') as Change['kind'];
  const action = fields.action ?? 'create';
  return {
    id,
    target,
    kind,
    key: key.replace(/#restart$/, ''),
    action,
    before: null,
    after: action === 'delete' ? null : { id },
    reason: 'test',
    dependsOn: [],
    disruptive: false,
    ...(action === 'create' || action === 'update' || action === 'run' ? { desiredHash: `hash-of-${id}` } : {}),
    ...fields,
  };
}

/** A cluster's rollout in short: its batches in order (one per entry), the budget, and any other policy fields. */
export interface TestRollout {
  cluster: string;
  batches: string[][];
  failureBudget: number;
  policy?: Partial<RolloutPolicy>;
  /** Members' declared gates and drain steps (ADR 0020). */
  gates?: Record<string, NodeGates>;
}

/** Intents with exactly these batches (as the planner would give for an explicit order); the policy's other fields as given. */
export function rolloutIntents(r: TestRollout): RolloutIntents {
  const policy = { ...DEFAULT_ROLLOUT_POLICY, ...r.policy };
  const nodes = r.batches.flat();
  return {
    cluster: r.cluster,
    members: nodes.length,
    order: { explicit: nodes },
    maxUnavailable: typeof r.policy?.maxUnavailable === 'number' ? r.policy.maxUnavailable : Math.max(1, ...r.batches.map((b) => b.length)),
    failureBudget: r.failureBudget,
    onFailure: policy.onFailure,
    rollback: policy.rollback,
    unavailable: [],
    held: [],
    ...(r.gates ? { gates: r.gates } : {}),
    batches: r.batches.map((batch, i) => ({
      cluster: r.cluster,
      batch: i + 1,
      nodes: batch,
      canary: false,
      gates: r.gates ? [...new Set(batch.flatMap((n) => gatesOf(r.gates?.[n]).map((g) => g.name)))] : DEFAULT_GATES,
      soakSeconds: i === r.batches.length - 1 ? 0 : policy.soakSeconds,
      deadlineSeconds: policy.progressDeadlineSeconds,
      downAtOnce: batch.length,
    })),
  };
}

export function testPlan(changes: Change[], rolloutOf: TestRollout[] = []): Plan {
  const rollout = rolloutOf.map(rolloutIntents);
  const body: Omit<Plan, 'hash'> = {
    apiVersion: PLAN_API_VERSION,
    kind: 'Plan',
    revision: { source: 'test', ref: 'main', commit: 'c0mmit', worktree: false },
    inventoryHash: 'inv',
    nodeInventoryHashes: {},
    changes: [...changes].sort((a, b) => (a.id < b.id ? -1 : 1)),
    rollout,
    summary: { create: 0, update: 0, delete: 0, restart: 0, run: 0 },
  };
  return { ...body, hash: planHash(body) };
}

export interface FakeBehaviour {
  /** Change ids whose apply throws. */
  fail?: string[];
  /** Change ids whose apply says it skipped them (as a directory left in place does). */
  skip?: string[];
  /** Nodes whose health check says unhealthy. */
  unhealthy?: string[];
  delayMs?: number;
  /** Called inside apply, before it returns: lets a test look at the journal mid-change. */
  during?: (change: Change) => Promise<void>;
}

/** FAKE effects for every node kind: apply appends `apply <id>` to the shared log, fails or skips on request. */
export function fakeEffects(log: string[], behaviour: FakeBehaviour = {}) {
  let current = 0;
  let peak = 0;
  const effects: KindEffects = {
    async apply(_ctx, c) {
      peak = Math.max(peak, ++current);
      try {
        log.push(`apply ${c.id}`);
        if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs));
        if (behaviour.during) await behaviour.during(c);
        if (behaviour.fail?.includes(c.id)) throw new UnderlayError({ code: 'ApplyFailed', message: `fake failure of ${c.id}`, data: {} });
        return behaviour.skip?.includes(c.id) ? { result: 'skipped', message: `fake skip of ${c.id}` } : APPLIED;
      } finally {
        current--;
      }
    },
    health(ctx) {
      log.push(`health ${ctx.node.name}`);
      return Promise.resolve(
        behaviour.unhealthy?.includes(ctx.node.name) ? { healthy: false, message: 'service down (fake)' } : { healthy: true },
      );
    },
  };
  // Node kinds get the fakes; service kinds (ip, dns) their real effects, which touch only the ledger or
  // zone provider a test passes in (targets), never a machine.
  const lookup: EffectsLookup = (kind) => (registry.nodeKind(kind) ? effects : effectsOf(kind));
  return { lookup, peak: () => peak };
}

/** FAKE managed record: per node entries in memory, every update appended to the shared log. */
export function fakeManagedRecord(log: string[]) {
  const records = new Map<string, ManagedEntries>();
  return {
    records,
    update(ctx: NodeApplyContext, updates: readonly ManagedUpdate[]): Promise<void> {
      const entries = { ...(records.get(ctx.node.name) ?? {}) };
      for (const u of updates) {
        const flag = [u.restartPending === undefined ? '' : ` restartPending=${u.restartPending}`, u.applyPending === undefined ? '' : ` applyPending=${u.applyPending}`].join('');
        log.push(`record ${ctx.node.name} ${u.key} ${u.hash === undefined ? '(hash kept)' : (u.hash ?? '(drop)')}${flag}`);
      }
      records.set(ctx.node.name, applyManagedUpdates(entries, updates));
      return Promise.resolve();
    },
  };
}
