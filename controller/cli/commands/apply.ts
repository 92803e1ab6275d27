import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { nodeManagedRecord } from '../../../reconcilers/managed-record.js';
import { effectsOf } from '../../../reconcilers/effects.js';
import { registry } from '../../../reconcilers/registry.js';
import { applyPlan } from '../../apply/apply-plan.js';
import { renderChangeSetSummary } from '../../apply/change-set.js';
import { faultHookFromEnv } from '../../apply/fault-injection.js';
import { leasedTargets, takeApplyLocks, type HeldLocks } from '../../apply/apply-locks.js';
import { applyTargets, observeLiveSite, planLiveSite, siteEndpoints } from '../../apply/live-site.js';
import { DEFAULT_LEASE_TTL_SECONDS } from '../../apply/node-leases.js';
import type { Inventory } from '../../model/observed.js';
import { ledgerPools } from '../../targets/pool-provider.js';
import { nodeInventoryHashes } from '../../plan/inventory-hash.js';
import { fileContentMismatches, planHash } from '../../plan/make-plan.js';
import { planFormatProblem, type Plan } from '../../model/plan.js';
import { renderText } from '../../plan/render-text.js';
import { systemClock, systemTimers } from '../../clock.js';
import { loadSpec } from '../../load/load-spec.js';
import type { Revision } from '../../source/revision.js';
import { siteIdOf, type Spec } from '../../spec/spec.js';
import type { InterruptedRun, Store } from '../../store/store.js';
import type { SshTransport } from '../../transport/ssh-transport.js';
import { applyProgress } from '../apply-progress.js';
import { ExitCode, UsageError, type CliIO } from '../io.js';
import type { Register } from '../main.js';
import { printDiagnostics } from '../print-diagnostics.js';
import { addSiteOptions, readSiteRevision } from '../site-options.js';
import { parseDuration } from '../duration.js';
import { addLiveOptions, concurrencyOf, openStore, sshTransport, type LiveOptions } from '../live-options.js';

interface ApplyOptions extends LiveOptions {
  plan?: string;
  diff?: boolean;
  detailedExitcode?: boolean;
  color: boolean;
  lockTimeout: string;
  leaseTtl: string;
}

/** A saved plan, checked against its own hash: a plan edited by hand is not applied. */
async function readPlanFile(file: string, io: CliIO): Promise<Plan> {
  const plan = JSON.parse(await readFile(path.resolve(io.cwd, file), 'utf8')) as Plan;
  const problem = planFormatProblem(plan);
  if (problem !== null) throw new UsageError(`${file} ${problem}`);
  if (!Array.isArray(plan.changes)) throw new UsageError(`${file} is not a plan`);
  if (planHash(plan) !== plan.hash) throw new UsageError(`${file}: plan hash does not match its content (edited after it was made?)`);
  const mismatched = fileContentMismatches(plan);
  if (mismatched.length > 0) throw new UsageError(`${file}: file content does not match its sha256 in ${mismatched.join(', ')} (edited after it was made?)`);
  return plan;
}

/** Nodes of the plan whose part of the inventory is no longer what the plan was made against. */
export function staleNodes(plan: Plan, inventory: Inventory): string[] {
  const now = nodeInventoryHashes(inventory);
  const planned = new Set(plan.changes.filter((c) => c.target.type === 'node').map((c) => c.target.name).filter((n) => n in plan.nodeInventoryHashes || n in inventory.nodes));
  return [...planned].filter((n) => now[n] !== plan.nodeInventoryHashes[n]).sort();
}

/**
 * The plan to apply: the saved one, unless a node it covers changed since it was made; else a fresh plan
 * of what was just observed. Null (with the reason printed) when there is none to apply.
 */
function planToApply(saved: Plan | null, revision: Revision, inventory: Inventory, io: CliIO): Plan | null {
  if (saved) {
    const stale = staleNodes(saved, inventory);
    if (stale.length === 0) return saved;
    io.stderr(`error: the plan is stale: these nodes changed since it was made: ${stale.join(', ')}; plan again\n`);
    return null;
  }
  const planned = planLiveSite(revision, inventory, registry);
  printDiagnostics(io, planned.diagnostics);
  return planned.plan;
}

function warnInterrupted(runs: readonly InterruptedRun[], io: CliIO): void {
  for (const r of runs) {
    const inFlight = r.inFlight.map((e) => e.changeId);
    io.stderr(
      `warning: run ${r.run.id} was interrupted${inFlight.length > 0 ? ` during ${inFlight.join(', ')}` : ''}; ` +
        'the nodes are re-observed and re-planned, so nothing is lost or repeated\n',
    );
  }
}

interface ApplyRun {
  options: ApplyOptions;
  saved: Plan | null;
  revision: Revision;
  transport: SshTransport;
  store: Store;
  locks: HeldLocks;
}

/** What an apply ended with: its exit code, and the nodes that failed (whose leases are left to expire). */
interface ApplyEnd {
  code: number;
  failed: ReadonlySet<string>;
}

const ended = (code: number, failed: ReadonlySet<string> = new Set()): ApplyEnd => ({ code, failed });

/** Observe, plan (or check the saved plan), apply, report, all under the locks. */
async function applyRevision({ options, saved, revision, transport, store, locks }: ApplyRun, io: CliIO): Promise<ApplyEnd> {
  const concurrency = concurrencyOf(options);
  warnInterrupted(await store.recoverInterruptedRuns(), io);
  // The pools are observed from, and allocated in, this state directory's ledger.
  const targets = { pool: ledgerPools(store.ledger()) };
  const observed = await observeLiveSite({ revision, registry, transport, targets, concurrency, clock: systemClock });
  printDiagnostics(io, observed.diagnostics);
  if (!observed.desired || !observed.inventory) return ended(ExitCode.Error);
  const inventory = observed.inventory;
  const plan = planToApply(saved, revision, inventory, io);
  if (!plan) return ended(ExitCode.Error);
  io.stdout(renderText(plan, { registry, color: options.color && io.isTTY === true, headerOnly: !options.diff }));
  if (plan.changes.length > 0) io.stdout('\n');
  const { nodes, unreachable } = leasedTargets(applyTargets(observed.desired, inventory), locks.outcome);
  const progress = applyProgress(io, plan);
  const observedRecord = (node: string) => {
    const n = inventory.nodes[node];
    return n ? { entries: n.managed, ...(n.owner ? { owner: n.owner } : {}) } : undefined;
  };
  // The run's id reaches the lock and the leases as it begins; its absence there is no reason to stop.
  let pendingAttach: Promise<void> = Promise.resolve();
  const attach = (runId: number): Promise<void> =>
    locks.attachRun(runId).catch((error: unknown) => io.stderr(`warning: the run id could not be recorded with the locks: ${error instanceof Error ? error.message : String(error)}\n`));
  const changeSet = await applyPlan({
    plan,
    nodes,
    unreachable,
    transport,
    targets,
    registry,
    effects: effectsOf,
    managedRecord: nodeManagedRecord({ site: store.site, fence: locks.token }, observedRecord),
    store,
    clock: systemClock,
    concurrency,
    onEvent: (event) => {
      if (event.type === 'run-started') pendingAttach = attach(event.runId);
      progress.onEvent(event);
    },
    fault: faultHookFromEnv(io.env),
    leases: locks.leases,
  });
  await pendingAttach;
  progress.end();
  io.stdout(renderChangeSetSummary(changeSet));
  const failed = new Set(Object.entries(changeSet.nodes).filter(([, n]) => !n.converged && n.error !== undefined).map(([name]) => name));
  if (changeSet.status !== 'succeeded') return ended(ExitCode.Error, failed);
  return ended(options.detailedExitcode && plan.changes.length > 0 ? ExitCode.Changes : ExitCode.Ok);
}

/** Takes the site lock and the node leases, runs the apply under them, and gives them back; returns the exit code. */
async function applyLocked(run: Omit<ApplyRun, 'locks'>, spec: Spec, io: CliIO): Promise<number> {
  const taken = await takeApplyLocks({
    store: run.store,
    transport: run.transport,
    endpoints: siteEndpoints(spec),
    lockTimeoutMs: parseDuration('--lock-timeout', run.options.lockTimeout),
    leaseTtlSeconds: leaseTtlOf(run.options),
    concurrency: concurrencyOf(run.options),
    clock: systemClock,
    timers: systemTimers,
  });
  if (!taken.held) {
    for (const error of taken.errors) io.stderr(`error: ${error}\n`);
    return ExitCode.Error;
  }
  const { locks } = taken;
  for (const note of locks.notes) io.stderr(`note: ${note}\n`);
  for (const why of Object.values(locks.outcome.duplicates).sort()) io.stderr(`error: ${why}\n`);
  let end: ApplyEnd = ended(ExitCode.Error);
  try {
    end = await applyRevision({ ...run, locks }, io);
    return end.code;
  } finally {
    for (const warning of await locks.release(end.failed)) io.stderr(`warning: ${warning}\n`);
  }
}

function leaseTtlOf(options: ApplyOptions): number {
  const ttl = Number(options.leaseTtl);
  if (!Number.isInteger(ttl) || ttl < 3) throw new UsageError(`--lease-ttl must be a whole number of seconds, at least 3, got ${options.leaseTtl}`);
  return ttl;
}

export const registerApply: Register = (program, io, setExit) => {
  addLiveOptions(addSiteOptions(program.command('apply')))
    .description('Observe the nodes, plan, and apply the plan: batch by batch, journalled, halting when failures pass the budget.')
    .option('--plan <file>', 'apply exactly this saved plan (refused if its nodes changed since it was made)')
    .option('--diff', 'print the whole plan first, file content and diffs included (default: its summary, then one line per change as it is done)')
    .option('--detailed-exitcode', 'exit 2 when changes were applied and all succeeded')
    .option('--no-color', 'no ANSI colours in the plan')
    .option('--lock-timeout <duration>', 'wait this long (30s, 5m) for another apply of the site to give up the site lock or a node lease; default: refuse at once, naming the holder', '0')
    .option('--lease-ttl <seconds>', 'how long a node stays leased to this apply if it dies without giving the lease back (renewed every third of it while it runs)', String(DEFAULT_LEASE_TTL_SECONDS))
    .addHelpText('after', '\nExit codes: 0 all applied (or nothing to do), 1 error, any failure, or the site or a node held by another apply, 2 changes applied (with --detailed-exitcode).')
    .action(async (options: ApplyOptions) => {
      const saved = options.plan ? await readPlanFile(options.plan, io) : null;
      const revision = await readSiteRevision(saved ? { ...options, rev: saved.revision.commit } : options, io);
      const loaded = loadSpec(revision);
      if (!loaded.spec) {
        printDiagnostics(io, loaded.diagnostics);
        return setExit(ExitCode.Error);
      }
      const spec = loaded.spec;
      parseDuration('--lock-timeout', options.lockTimeout);
      leaseTtlOf(options);
      const transport = await sshTransport(options, io, revision);
      try {
        // Opened once apply has what it needs to run: one refused for a flag, a plan or a key leaves no state behind.
        const store = openStore(options, io, siteIdOf(spec));
        try {
          setExit(await applyLocked({ options, saved, revision, transport, store }, spec, io));
        } finally {
          await store.close();
        }
      } finally {
        await transport.close();
      }
    });
};
