/**
 * `underlay plan --base REF --head REF`: what a pull request changes. Both revisions are read from the same
 * repository and planned against the same inventory (a snapshot: CI has no access to the nodes), by the
 * same reconcile runtime as every plan; the plans are then compared (controller/plan/pull-request-plan.ts).
 * A base that cannot be planned (its own errors, which the pull request may fix) leaves every change new,
 * and says so; a head that cannot be planned is an error, as for any plan.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { emptyInventory, type Inventory } from '../../model/observed.js';
import { canonicalJson } from '../../model/canonical-json.js';
import { quoteArg } from '../../model/shell-quote.js';
import { pullRequestPlan, unplannedBase, type PullRequestPlan } from '../../plan/pull-request-plan.js';
import { renderJson } from '../../plan/render-json.js';
import { renderPullRequestMarkdown } from '../../plan/render-pull-request-markdown.js';
import { renderPullRequestText } from '../../plan/render-pull-request-text.js';
import { runReconcile, type Reconciled } from '../../runtime/reconcile.js';
import { initialState, type ReconcileState } from '../../runtime/reconcile-state.js';
import { fetchRevision } from '../../runtime/steps/fetch-revision.js';
import { load } from '../../runtime/steps/load.js';
import { plan } from '../../runtime/steps/plan.js';
import { readInventory } from '../../runtime/steps/read-inventory.js';
import { resolve } from '../../runtime/steps/resolve.js';
import { registry } from '../../../reconcilers/registry.js';
import { ExitCode, UsageError, type CliIO } from '../io.js';
import { printDiagnostics } from '../print-diagnostics.js';
import { cliReconcileDeps } from '../reconcile-deps.js';
import { allNodesSeen, readInventoryFile, type PlanOptions } from './plan.js';

export interface PullRequestOptions extends PlanOptions {
  base: string;
}

/** A pull-request plan compares two revisions planned alike: options that would make them unalike are refused. */
function refuseOptions(options: PullRequestOptions): void {
  if (options.rev !== undefined) throw new UsageError('--base compares two revisions: give the second as --head REF, not --rev');
  if (options.worktree) throw new UsageError('--base compares two commits: --worktree cannot be one of them');
  if (options.live) throw new UsageError('--base plans against an inventory snapshot (--inventory FILE, made by `underlay inventory`), not live nodes');
}

async function inventoryOf(options: PullRequestOptions, io: CliIO): Promise<Inventory | null> {
  if (options.inventory) return readInventoryFile(options.inventory, io);
  io.stderr('note: planning against empty nodes (give --inventory FILE, a snapshot made by `underlay inventory`)\n');
  return emptyInventory();
}

/** One revision planned against the inventory, by the runtime every plan uses. */
async function planAt(ref: string, inventory: Inventory, options: PullRequestOptions, io: CliIO): Promise<Reconciled<ReconcileState>> {
  const reconcile = cliReconcileDeps(options, io, () => undefined, { source: { ...options, rev: ref } });
  try {
    const steps = [fetchRevision, readInventory(() => Promise.resolve(inventory)), load, resolve, plan(options.inventory ? {} : { observation: 'none' })];
    const reconciled = await runReconcile({ site: options.repo ?? io.cwd, state: initialState() }, steps, reconcile.deps);
    if (reconciled.outcome.type === 'fail') throw reconciled.outcome.error;
    return reconciled;
  } finally {
    await reconcile.close();
  }
}

/** The command that prints all of what a shortened comment left out. */
function fullCommand(options: PullRequestOptions): string {
  const word = (a: string) => (/^[\w./:=@%+^~-]+$/.test(a) ? a : quoteArg(a));
  const args = ['underlay', 'plan', ...(options.repo ? ['--repo', options.repo] : []), '--base', options.base, '--head', options.head ?? 'HEAD'];
  if (options.inventory) args.push('--inventory', options.inventory);
  return [...args, '--output', 'text'].map(word).join(' ');
}

function render(pr: PullRequestPlan, options: PullRequestOptions): string {
  if (options.output === 'json') return `${canonicalJson(pr, 2)}\n`;
  if (options.output === 'markdown') return renderPullRequestMarkdown(pr, { registry, fullCommand: fullCommand(options) });
  return renderPullRequestText(pr, { registry });
}

/** Says why the base has no plan (its diagnostics, printed as the head's are), and gives what the plan says of it. */
function baseProblem(ref: string, base: Reconciled<ReconcileState>, io: CliIO): ReturnType<typeof unplannedBase> {
  io.stderr(`warning: the base (${ref}) could not be planned; every change of the head is shown as new:\n`);
  printDiagnostics(io, base.state.diagnostics);
  return unplannedBase(base.state.revision, base.state.diagnostics, base.outcome.type === 'stall' ? base.outcome.message : 'it did not plan');
}

export async function planPullRequest(options: PullRequestOptions, io: CliIO): Promise<number> {
  refuseOptions(options);
  const inventory = await inventoryOf(options, io);
  if (!inventory) return ExitCode.Error;
  const headRef = options.head ?? 'HEAD';
  const head = await planAt(headRef, inventory, options, io);
  printDiagnostics(io, head.state.diagnostics);
  const { plan: headPlan, desired } = head.state;
  if (head.outcome.type !== 'done' || !headPlan || !desired) return ExitCode.Error;
  const base = await planAt(options.base, inventory, options, io);
  const basePlan = base.outcome.type === 'done' ? (base.state.plan ?? null) : null;
  const problem = basePlan ? undefined : baseProblem(options.base, base, io);
  const pr = pullRequestPlan({ base: basePlan, ...(problem ? { baseProblem: problem } : {}), baseDesired: base.state.desired ?? null, head: headPlan, registry, observedAt: inventory.observedAt });
  io.stdout(render(pr, options));
  if (options.out) await writeFile(path.resolve(io.cwd, options.out), renderJson(headPlan));
  if (!allNodesSeen(desired, inventory, io)) return ExitCode.Error;
  return options.detailedExitcode && pr.summary.new + pr.summary.changed + pr.summary.gone > 0 ? ExitCode.Changes : ExitCode.Ok;
}
