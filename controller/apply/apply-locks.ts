/**
 * Everything an apply holds while it runs (ADR 0008): the site lock in its store, then a lease on every node
 * of the site, both taken before anything is observed, so that the plan is made and carried out by the only
 * writer. Refused as a whole when another apply holds either, naming it; the leases taken so far and the
 * lock are given back then. The long-running controller's per-site queue will take the same two, in the same
 * order, around each reconcile.
 */
import type { Clock, Timers } from '../clock.js';
import type { ErrorRecord } from '../model/errors.js';
import { currentProcess, isProcessAlive, newLockToken, type LockHolder, type ProcessIdentity } from '../store/lock-holder.js';
import type { SiteLocks } from '../store/store.js';
import type { NodeEndpoint, Transport } from '../transport/transport.js';
import type { ApplyNode } from './apply-plan.js';
import { NodeLeases, type LeaseOutcome } from './node-leases.js';
import { acquireSiteLock } from './site-lock.js';

export interface ApplyLocksOptions {
  store: SiteLocks;
  transport: Transport;
  /** Every node of the site. */
  endpoints: readonly NodeEndpoint[];
  /** How long to wait for another holder to let go (0: refuse at once). */
  lockTimeoutMs: number;
  leaseTtlSeconds: number;
  concurrency: number;
  clock: Clock;
  timers: Timers;
  /** This process as holders name it; default the real one. */
  self?: ProcessIdentity;
  isProcessAlive?: (pid: number) => boolean;
}

export interface HeldLocks {
  /** The apply's fencing token, which the record updates carry. */
  token: string;
  leases: NodeLeases;
  /** What the leases found: held, unreachable and duplicate nodes. */
  outcome: LeaseOutcome;
  /** Locks and leases taken over from applies that are gone. */
  notes: string[];
  /** Names the run in the lock and the leases once it has begun. */
  attachRun(runId: number): Promise<void>;
  /** Gives the leases back (but those of `failed` nodes, left to expire), then the lock; returns warnings about leases that could not be. */
  release(failed?: ReadonlySet<string>): Promise<string[]>;
}

export type ApplyLocks = { held: true; locks: HeldLocks } | { held: false; errors: ErrorRecord[] };

export async function takeApplyLocks(options: ApplyLocksOptions): Promise<ApplyLocks> {
  const { store, clock, timers } = options;
  const self = options.self ?? currentProcess();
  const token = newLockToken();
  const holder: LockHolder = { site: store.site, ...self, run: null, since: clock.now().toISOString() };
  const wait = { clock, timers, deadline: clock.now().getTime() + options.lockTimeoutMs };

  const lock = await acquireSiteLock(store, token, holder, wait);
  if (!lock.acquired) return { held: false, errors: [{ code: 'SiteLocked', message: lock.message }] };
  const leases = new NodeLeases({
    transport: options.transport,
    store,
    token,
    holder,
    ttlSeconds: options.leaseTtlSeconds,
    concurrency: options.concurrency,
    clock,
    timers,
    self,
    isProcessAlive: options.isProcessAlive ?? isProcessAlive,
  });
  let outcome: LeaseOutcome;
  try {
    outcome = await leases.take(options.endpoints, wait);
  } catch (error) {
    await leases.release();
    await store.releaseSiteLock(token);
    throw error;
  }
  const refused = Object.keys(outcome.refused).sort();
  if (refused.length > 0) {
    await leases.release();
    await store.releaseSiteLock(token);
    return { held: false, errors: refused.map((node) => outcome.refused[node] as ErrorRecord) };
  }
  leases.startRenewal();
  return {
    held: true,
    locks: {
      token,
      leases,
      outcome,
      notes: [...(lock.note ? [lock.note] : []), ...outcome.notes],
      async attachRun(runId) {
        await store.attachRunToSiteLock(token, runId);
        await leases.attachRun(runId);
      },
      async release(failed) {
        const warnings = await leases.release(failed);
        await store.releaseSiteLock(token);
        return warnings;
      },
    },
  };
}

/**
 * Apply's targets narrowed to what the leases allow: a node this apply could not lease is not touched (it
 * counts as unreachable, with why), and nodes that are one machine are refused.
 */
export function leasedTargets(
  targets: { nodes: Record<string, ApplyNode>; unreachable: Record<string, ErrorRecord> },
  outcome: LeaseOutcome,
): { nodes: Record<string, ApplyNode>; unreachable: Record<string, ErrorRecord> } {
  const held = new Set(outcome.held);
  const nodes: Record<string, ApplyNode> = {};
  const unreachable = { ...targets.unreachable };
  for (const [name, node] of Object.entries(targets.nodes)) {
    const duplicate = outcome.duplicates[name];
    if (duplicate !== undefined) nodes[name] = { ...node, refused: duplicate };
    else if (held.has(name)) nodes[name] = node;
    else unreachable[name] = outcome.unreachable[name] ?? { code: 'NotLeased', message: `node ${name}: not leased by this apply` };
  }
  return { nodes, unreachable };
}
