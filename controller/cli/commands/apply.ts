import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { registry } from '../../../reconcilers/registry.js';
import { renderChangeSetSummary } from '../../apply/change-set.js';
import { faultHookFromEnv } from '../../apply/fault-injection.js';
import { DEFAULT_LEASE_TTL_SECONDS } from '../../apply/node-leases.js';
import { fileContentMismatches, planHash } from '../../plan/make-plan.js';
import { planFormatProblem, type Plan } from '../../model/plan.js';
import { renderText } from '../../plan/render-text.js';
import { runReconcile, type Reconciled } from '../../runtime/reconcile.js';
import type { ReconcileEvent } from '../../runtime/reconcile-event.js';
import { initialState, type ReconcileState } from '../../runtime/reconcile-state.js';
import { apply } from '../../runtime/steps/apply.js';
import { underApplyLocks } from '../../runtime/steps/apply-locks.js';
import { decide } from '../../runtime/steps/decide.js';
import { fetchRevision } from '../../runtime/steps/fetch-revision.js';
import { load } from '../../runtime/steps/load.js';
import { observe } from '../../runtime/steps/observe.js';
import { plan } from '../../runtime/steps/plan.js';
import { recoverRuns } from '../../runtime/steps/recover-runs.js';
import { resolve } from '../../runtime/steps/resolve.js';
import { stateDatabaseFile } from '../../store/sqlite-store.js';
import type { InterruptedRun } from '../../store/store.js';
import { applyProgress, type ApplyProgress } from '../apply-progress.js';
import { CONTROLLER_OWNS_SITE, refuseWhileControllerRuns } from '../controller-owned-site.js';
import { ExitCode, UsageError, type CliIO } from '../io.js';
import type { Register } from '../main.js';
import { printDiagnostics } from '../print-diagnostics.js';
import { addSiteOptions } from '../site-options.js';
import { parseDuration } from '../duration.js';
import { addLiveOptions, type LiveOptions } from '../live-options.js';
import { cliReconcileDeps } from '../reconcile-deps.js';
import { stateDirOf } from '../state-options.js';

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

function warnInterrupted(runs: readonly InterruptedRun[], io: CliIO): void {
  for (const r of runs) {
    const inFlight = r.inFlight.map((e) => e.changeId);
    io.stderr(
      `warning: run ${r.run.id} was interrupted${inFlight.length > 0 ? ` during ${inFlight.join(', ')}` : ''}; ` +
        'the nodes are re-observed and re-planned, so nothing is lost or repeated\n',
    );
  }
}

/** A printer per event type: each sees its own event's shape. */
type EventPrinters = { [K in ReconcileEvent['type']]?: (event: Extract<ReconcileEvent, { type: K }>) => void };

/** What apply prints as the reconcile goes: locks, the diagnostics and plan it applies, progress, the summary. */
function applyPrinter(options: ApplyOptions, io: CliIO): (event: ReconcileEvent) => void {
  let progress: ApplyProgress | undefined;
  const printers: EventPrinters = {
    'locks-refused': (event) => {
      for (const error of event.errors) io.stderr(`error: ${error.message} [${error.code}]\n`);
    },
    'locks-taken': (event) => {
      for (const note of event.notes) io.stderr(`note: ${note}\n`);
      for (const why of event.duplicates) io.stderr(`error: ${why.message} [${why.code}]\n`);
    },
    'runs-interrupted': (event) => warnInterrupted(event.runs, io),
    resolved: (event) => {
      if (event.final) printDiagnostics(io, event.diagnostics);
    },
    'plan-decided': (event) => {
      io.stdout(renderText(event.plan, { registry, color: options.color && io.isTTY === true, headerOnly: !options.diff }));
      if (event.plan.changes.length > 0) io.stdout('\n');
      progress = applyProgress(io, event.plan);
    },
    apply: (event) => progress?.onEvent(event.event),
    'run-unattached': (event) => io.stderr(`warning: the run id could not be recorded with the locks: ${event.message}\n`),
    applied: (event) => {
      progress?.end();
      io.stdout(renderChangeSetSummary(event.changeSet));
    },
    'locks-released': (event) => {
      for (const warning of event.warnings) io.stderr(`warning: ${warning}\n`);
    },
  };
  return (event) => (printers[event.type] as ((e: ReconcileEvent) => void) | undefined)?.(event);
}

/** The exit code of a reconcile that applied, or stopped before it could. */
function applyExit({ outcome, state }: Reconciled<ReconcileState>, options: ApplyOptions, io: CliIO): number {
  if (outcome.type === 'fail' && outcome.step !== 'apply') throw outcome.error;
  if (outcome.type === 'stall' && outcome.step === 'load') printDiagnostics(io, state.diagnostics);
  if (outcome.type === 'stall' && [CONTROLLER_OWNS_SITE, 'PlanStale'].includes(outcome.code)) io.stderr(`error: ${outcome.message}\n`);
  if (outcome.type === 'stall' && !state.changeSet && ['RolloutPaused', 'RolloutHalted', 'RolloutAborted'].includes(outcome.code)) io.stderr(`error: ${outcome.message}\n`);
  const changeSet = state.changeSet;
  if (!changeSet || changeSet.status !== 'succeeded') return ExitCode.Error;
  return options.detailedExitcode && changeSet.results.length > 0 ? ExitCode.Changes : ExitCode.Ok;
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
    .addHelpText('after', '\nRefused while an `underlay controller` runs the site (use `underlay rollout …`, `reconcile`, `approve` instead).\nExit codes: 0 all applied (or nothing to do), 1 error, any failure, the site run by a controller, or the site or a node held by another apply, 2 changes applied (with --detailed-exitcode).')
    .action(async (options: ApplyOptions) => {
      const saved = options.plan ? await readPlanFile(options.plan, io) : undefined;
      const locking = { lockTimeoutMs: parseDuration('--lock-timeout', options.lockTimeout), leaseTtlSeconds: leaseTtlOf(options) };
      const source = saved ? { ...options, rev: saved.revision.commit } : options;
      const reconcile = cliReconcileDeps(options, io, applyPrinter(options, io), { source });
      const fault = faultHookFromEnv(io.env);
      // Observed, planned (or the saved plan checked) and applied under the locks: the plan is the only writer's.
      const underLocks = [recoverRuns, resolve, observe, resolve, ...(saved ? [] : [plan()]), decide(saved), apply];
      try {
        const reconciled = await runReconcile(
          { site: options.repo ?? io.cwd, state: initialState() },
          [fetchRevision, load, refuseWhileControllerRuns({ stores: reconcile.siteStore, stateExists: () => existsSync(stateDatabaseFile(stateDirOf(options, io))), note: (note) => io.stderr(`note: ${note}\n`) }), underApplyLocks(locking, underLocks)],
          { ...reconcile.deps, ...(fault ? { fault } : {}) },
        );
        setExit(applyExit(reconciled, options, io));
      } finally {
        await reconcile.close();
      }
    });
};
