import { Option } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { emptyInventory, type Inventory } from '../../inventory/inventory.js';
import { parseInventory } from '../../inventory/parse-inventory.js';
import { planRevision } from '../../pipeline/plan-revision.js';
import type { Plan } from '../../plan/plan.js';
import { renderJson } from '../../plan/render-json.js';
import { renderMarkdown } from '../../plan/render-markdown.js';
import { renderText } from '../../plan/render-text.js';
import { ExitCode, type CliIO } from '../io.js';
import type { Register } from '../main.js';
import { printDiagnostics } from '../print-diagnostics.js';
import { addSiteOptions, readSiteRevision, type SiteOptions } from '../site-options.js';
import { observeLiveSite } from '../../apply/live-site.js';
import { systemClock } from '../../clock.js';
import type { Revision } from '../../source/revision.js';
import { addLiveOptions, concurrencyOf, sshTransport, type LiveOptions } from '../live-options.js';

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
  if (format === 'markdown') return renderMarkdown(plan);
  return renderText(plan, { color });
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
    const observed = await observeLiveSite({ revision, transport, concurrency: concurrencyOf(options), clock: systemClock });
    if (!observed.inventory) printDiagnostics(io, observed.diagnostics);
    return observed.inventory;
  } finally {
    await transport.close();
  }
}

async function inventoryForPlan(options: PlanOptions, revision: Revision, io: CliIO): Promise<Inventory | null> {
  if (options.inventory) return readInventoryFile(options.inventory, io);
  if (options.live || options.secretsDir) return observeForPlan(options, revision, io);
  io.stderr('note: planning against empty nodes (give --inventory FILE, or --secrets-dir/--live to observe the nodes)\n');
  return emptyInventory();
}

export const registerPlan: Register = (program, io, setExit) => {
  addLiveOptions(addSiteOptions(program.command('plan')))
    .description('Compute what would change to make the nodes match a revision, and why. Changes nothing.')
    .addOption(new Option('--output <format>', 'how to print the plan').choices(['text', 'json', 'markdown']).default('text'))
    .option('--inventory <file>', 'plan against an inventory snapshot (JSON)')
    .option('--live', 'observe the nodes over SSH (implied by --secrets-dir); without it or --inventory, plan against empty nodes')
    .option('--out <file>', 'also save the plan (JSON) for `underlay apply --plan`')
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 2 when there are, 1 on error')
    .option('--no-color', 'no ANSI colours in text output')
    .addHelpText('after', '\nExit codes: 0 success (with --detailed-exitcode: no changes), 1 error, 2 changes pending (with --detailed-exitcode).')
    .action(async (options: PlanOptions) => {
      const revision = await readSiteRevision(options, io);
      const inventory = await inventoryForPlan(options, revision, io);
      if (!inventory) return setExit(ExitCode.Error);
      const { plan, diagnostics } = planRevision(revision, inventory);
      printDiagnostics(io, diagnostics);
      if (!plan) {
        // A machine reading --output json gets the reasons there too, in validate's shape.
        if (options.output === 'json') io.stdout(`${JSON.stringify({ revision: { commit: revision.commit, worktree: revision.worktree }, diagnostics }, null, 2)}\n`);
        return setExit(ExitCode.Error);
      }
      io.stdout(renderPlan(plan, options.output, options.color && options.output === 'text' && Boolean(process.stdout.isTTY)));
      if (options.out) await writeFile(path.resolve(io.cwd, options.out), renderJson(plan));
      setExit(options.detailedExitcode && plan.changes.length > 0 ? ExitCode.Changes : ExitCode.Ok);
    });
};
