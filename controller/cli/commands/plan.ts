import { Option } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Desired } from '../../model/desired.js';
import { emptyInventory, type Inventory } from '../../model/observed.js';
import { parseInventory } from '../../inventory/parse-inventory.js';
import type { Plan } from '../../model/plan.js';
import { renderJson } from '../../plan/render-json.js';
import { renderMarkdown } from '../../plan/render-markdown.js';
import { renderText } from '../../plan/render-text.js';
import { ExitCode, UsageError, type CliIO } from '../io.js';
import type { Register } from '../main.js';
import { printDiagnostics } from '../print-diagnostics.js';
import { addSiteOptions, type SiteOptions } from '../site-options.js';
import { misidentifiedNodes, unreachableNodes } from '../../pipeline/node-findings.js';
import { unreadableZones } from '../../pipeline/zone-findings.js';
import { runReconcile, type Reconciled } from '../../runtime/reconcile.js';
import { initialState, type ReconcileState } from '../../runtime/reconcile-state.js';
import type { RuntimeStep } from '../../runtime/runtime-deps.js';
import { fetchRevision } from '../../runtime/steps/fetch-revision.js';
import { load } from '../../runtime/steps/load.js';
import { observe } from '../../runtime/steps/observe.js';
import { plan } from '../../runtime/steps/plan.js';
import { readInventory } from '../../runtime/steps/read-inventory.js';
import { resolve } from '../../runtime/steps/resolve.js';
import { addLiveOptions, type LiveOptions } from '../live-options.js';
import { cliReconcileDeps } from '../reconcile-deps.js';
import { planPullRequest } from './plan-pull-request.js';
import { registry } from '../../../reconcilers/registry.js';

export interface PlanOptions extends SiteOptions, LiveOptions {
  live?: boolean;
  output: 'text' | 'json' | 'markdown';
  inventory?: string;
  /** A pull request's base revision: with it, the plan is of what the head (--head) changes. */
  base?: string;
  head?: string;
  out?: string;
  detailedExitcode?: boolean;
  color: boolean;
}

export function renderPlan(plan: Plan, format: PlanOptions['output'], color: boolean): string {
  if (format === 'json') return renderJson(plan);
  if (format === 'markdown') return renderMarkdown(plan, { registry });
  return renderText(plan, { color, registry });
}

/** Reads an inventory snapshot; diagnostics are printed and null returned when it is unusable. */
export async function readInventoryFile(file: string, io: CliIO): Promise<Inventory | null> {
  const resolved = path.resolve(io.cwd, file);
  const { inventory, diagnostics } = parseInventory(await readFile(resolved, 'utf8'), file);
  printDiagnostics(io, diagnostics);
  return inventory;
}

/**
 * The steps that give the plan its inventory, and whether it is assumed empty. Live observation needs the
 * controller's SSH identity; without one (a pull-request job, a laptop), the plan is made against an
 * inventory snapshot or against empty nodes, and says so.
 */
function inventorySteps(options: PlanOptions, io: CliIO): { steps: RuntimeStep[]; assumedEmpty: boolean } {
  if (!options.inventory && !options.live && !options.secretsDir) {
    const empty = readInventory(async () => {
      io.stderr('note: planning against empty nodes (give --inventory FILE, or --secrets-dir/--live to observe the nodes)\n');
      return emptyInventory();
    });
    return { steps: [empty, load, resolve], assumedEmpty: true };
  }
  const file = options.inventory;
  if (file) return { steps: [readInventory(() => readInventoryFile(file, io)), load, resolve], assumedEmpty: false };
  // Resolved again with what was observed: the facts `{fact: ...}` inputs read.
  return { steps: [load, resolve, observe, resolve], assumedEmpty: false };
}

/** Why there is no plan, for a machine reading --output json too (in validate's shape, once the revision was planned against an inventory). */
function reportNoPlan({ outcome, state }: Reconciled<ReconcileState>, options: PlanOptions, io: CliIO): number {
  const { inventory, revision } = state;
  const planned = outcome.type === 'stall' && (outcome.step === 'load' || outcome.step === 'resolve') && inventory && revision;
  if (options.output === 'json' && planned) io.stdout(`${JSON.stringify({ revision: { commit: revision.commit, worktree: revision.worktree }, diagnostics: state.diagnostics }, null, 2)}\n`);
  return ExitCode.Error;
}

/** A CI job reading "no changes" must not be told so about nodes nobody could look at: false (with why printed) when some were not. */
export function allNodesSeen(desired: Desired, inventory: Inventory, io: CliIO): boolean {
  const unobserved = Object.entries(unreachableNodes(desired, inventory));
  if (unobserved.length > 0) {
    io.stderr(`error: ${unobserved.length} node(s) could not be observed, so the plan does not cover them: ${unobserved.map(([n]) => n).join(', ')}\n`);
    for (const [name, why] of unobserved) io.stderr(`  ${name}: ${why.message} [${why.code}]\n`);
    return false;
  }
  const unread = Object.entries(unreadableZones(inventory));
  if (unread.length > 0) {
    io.stderr(`error: ${unread.length} DNS zone(s) could not be read, so the plan changes nothing in them: ${unread.map(([z]) => z).join(', ')}\n`);
    for (const [zone, why] of unread) io.stderr(`  ${zone}: ${why.message} [${why.code}]\n`);
    return false;
  }
  const misidentified = Object.entries(misidentifiedNodes(desired, inventory));
  if (misidentified.length > 0) {
    io.stderr(`error: ${misidentified.length} node(s) are another machine than their Node document means, so the plan does not cover them: ${misidentified.map(([n]) => n).join(', ')}\n`);
    return false;
  }
  return true;
}

/** Prints the plan (or why there is none) and gives the exit code. */
async function reportPlan(reconciled: Reconciled<ReconcileState>, options: PlanOptions, io: CliIO): Promise<number> {
  const { outcome, state } = reconciled;
  if (outcome.type === 'fail') throw outcome.error;
  printDiagnostics(io, state.diagnostics);
  const { plan, desired, inventory, revision } = state;
  if (outcome.type !== 'done' || !plan || !desired || !inventory || !revision) return reportNoPlan(reconciled, options, io);
  io.stdout(renderPlan(plan, options.output, options.color && options.output === 'text' && io.isTTY === true));
  if (options.out) await writeFile(path.resolve(io.cwd, options.out), renderJson(plan));
  if (!allNodesSeen(desired, inventory, io)) return ExitCode.Error;
  return options.detailedExitcode && plan.changes.length > 0 ? ExitCode.Changes : ExitCode.Ok;
}

export const registerPlan: Register = (program, io, setExit) => {
  addLiveOptions(addSiteOptions(program.command('plan')))
    .description('Compute what would change to make the nodes match a revision, and why. Changes nothing.')
    .addOption(new Option('--output <format>', 'how to print the plan').choices(['text', 'json', 'markdown']).default('text'))
    .option('--inventory <file>', 'plan against an inventory snapshot (JSON)')
    .option('--base <ref>', 'plan a pull request: the head (--head) and this base, against the same inventory, marking what the head changes (new, changed, gone)')
    .option('--head <ref>', 'with --base: the pull request\'s revision (default: HEAD)')
    .option('--live', 'observe the nodes over SSH (implied by --secrets-dir); without it or --inventory, plan against empty nodes')
    .option('--out <file>', 'also save the plan (JSON) for `underlay apply --plan`')
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 2 when there are, 1 on error or when a node could not be observed or a DNS zone read')
    .option('--no-color', 'no ANSI colours in text output')
    .addHelpText(
      'after',
      '\nExit codes: 0 success (with --detailed-exitcode: no changes), 1 error, or a node that could not be observed (unreachable, host key refused: the plan is printed without it) or a DNS zone that could not be read (nothing is planned in it), 2 changes pending (with --detailed-exitcode).' +
        '\nWith --base: the plan of a pull request, for CI (docs/ci.md); --detailed-exitcode gives 2 when the pull request changes something, and a base that cannot be planned is no error (every change is then new).',
    )
    .action(async (options: PlanOptions) => {
      if (options.base !== undefined) return setExit(await planPullRequest({ ...options, base: options.base }, io));
      if (options.head !== undefined) throw new UsageError('--head needs --base: the pull request\'s base revision');
      const input = inventorySteps(options, io);
      const reconcile = cliReconcileDeps(options, io, () => undefined);
      try {
        const steps = [fetchRevision, ...input.steps, plan(input.assumedEmpty ? { observation: 'none' } : {})];
        const reconciled = await runReconcile({ site: options.repo ?? io.cwd, state: initialState() }, steps, reconcile.deps);
        setExit(await reportPlan(reconciled, options, io));
      } finally {
        await reconcile.close();
      }
    });
};
