import { Option } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { emptyInventory, type Inventory } from '../../model/observed.js';
import { parseInventory } from '../../inventory/parse-inventory.js';
import { planRevision } from '../../pipeline/plan-revision.js';
import type { Plan } from '../../model/plan.js';
import { renderJson } from '../../plan/render-json.js';
import { renderMarkdown } from '../../plan/render-markdown.js';
import { renderText } from '../../plan/render-text.js';
import { ExitCode, type CliIO } from '../io.js';
import type { Register } from '../main.js';
import { printDiagnostics } from '../print-diagnostics.js';
import { addSiteOptions, readSiteRevision, type SiteOptions } from '../site-options.js';
import { misidentifiedNodes, observeLiveSite, unreachableNodes } from '../../apply/live-site.js';
import { systemClock } from '../../clock.js';
import type { Revision } from '../../source/revision.js';
import { addLiveOptions, concurrencyOf, sshTransport, withReadOnlyTargets, type LiveOptions } from '../live-options.js';
import { registry } from '../../../reconcilers/registry.js';

export interface PlanOptions extends SiteOptions, LiveOptions {
  live?: boolean;
  output: 'text' | 'json' | 'markdown';
  inventory?: string;
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
 * Live observation needs the controller's SSH identity; without one (a pull-request job, a laptop), the
 * plan is made against an inventory snapshot or against empty nodes, and says so.
 */
async function observeForPlan(options: PlanOptions, revision: Revision, io: CliIO): Promise<Inventory | null> {
  const transport = await sshTransport(options, io, revision);
  try {
    const observed = await withReadOnlyTargets(options, io, revision, (targets) =>
      observeLiveSite({ revision, registry, transport, targets, concurrency: concurrencyOf(options), clock: systemClock }),
    );
    if (!observed.inventory) printDiagnostics(io, observed.diagnostics);
    return observed.inventory;
  } finally {
    await transport.close();
  }
}

interface PlanInput {
  inventory: Inventory;
  /** Nothing was observed: the plan is made against empty nodes and carries a banner saying so. */
  assumedEmpty: boolean;
}

async function inventoryForPlan(options: PlanOptions, revision: Revision, io: CliIO): Promise<PlanInput | null> {
  if (!options.inventory && !options.live && !options.secretsDir) {
    io.stderr('note: planning against empty nodes (give --inventory FILE, or --secrets-dir/--live to observe the nodes)\n');
    return { inventory: emptyInventory(), assumedEmpty: true };
  }
  const inventory = options.inventory ? await readInventoryFile(options.inventory, io) : await observeForPlan(options, revision, io);
  return inventory && { inventory, assumedEmpty: false };
}

export const registerPlan: Register = (program, io, setExit) => {
  addLiveOptions(addSiteOptions(program.command('plan')))
    .description('Compute what would change to make the nodes match a revision, and why. Changes nothing.')
    .addOption(new Option('--output <format>', 'how to print the plan').choices(['text', 'json', 'markdown']).default('text'))
    .option('--inventory <file>', 'plan against an inventory snapshot (JSON)')
    .option('--live', 'observe the nodes over SSH (implied by --secrets-dir); without it or --inventory, plan against empty nodes')
    .option('--out <file>', 'also save the plan (JSON) for `underlay apply --plan`')
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 2 when there are, 1 on error or when a node could not be observed')
    .option('--no-color', 'no ANSI colours in text output')
    .addHelpText(
      'after',
      '\nExit codes: 0 success (with --detailed-exitcode: no changes), 1 error, or a node that could not be observed (unreachable, host key refused: the plan is printed without it), 2 changes pending (with --detailed-exitcode).',
    )
    .action(async (options: PlanOptions) => {
      const revision = await readSiteRevision(options, io);
      const input = await inventoryForPlan(options, revision, io);
      if (!input) return setExit(ExitCode.Error);
      const { plan, desired, diagnostics } = planRevision(revision, input.inventory, { registry, ...(input.assumedEmpty ? { observation: 'none' } : {}) });
      printDiagnostics(io, diagnostics);
      if (!plan || !desired) {
        // A machine reading --output json gets the reasons there too, in validate's shape.
        if (options.output === 'json') io.stdout(`${JSON.stringify({ revision: { commit: revision.commit, worktree: revision.worktree }, diagnostics }, null, 2)}\n`);
        return setExit(ExitCode.Error);
      }
      io.stdout(renderPlan(plan, options.output, options.color && options.output === 'text' && io.isTTY === true));
      if (options.out) await writeFile(path.resolve(io.cwd, options.out), renderJson(plan));
      // A CI job reading "no changes" must not be told so about nodes nobody could look at.
      const unobserved = Object.entries(unreachableNodes(desired, input.inventory));
      if (unobserved.length > 0) {
        io.stderr(`error: ${unobserved.length} node(s) could not be observed, so the plan does not cover them: ${unobserved.map(([n]) => n).join(', ')}\n`);
        for (const [name, why] of unobserved) io.stderr(`  ${name}: ${why}\n`);
        return setExit(ExitCode.Error);
      }
      const misidentified = Object.entries(misidentifiedNodes(desired, input.inventory));
      if (misidentified.length > 0) {
        io.stderr(`error: ${misidentified.length} node(s) are another machine than their Node document means, so the plan does not cover them: ${misidentified.map(([n]) => n).join(', ')}\n`);
        return setExit(ExitCode.Error);
      }
      setExit(options.detailedExitcode && plan.changes.length > 0 ? ExitCode.Changes : ExitCode.Ok);
    });
};
