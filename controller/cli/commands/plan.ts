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

export interface PlanOptions extends SiteOptions {
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

export const registerPlan: Register = (program, io, setExit) => {
  addSiteOptions(program.command('plan'))
    .description('Compute what would change to make the nodes match a revision, and why. Changes nothing.')
    .addOption(new Option('--output <format>', 'how to print the plan').choices(['text', 'json', 'markdown']).default('text'))
    .option('--inventory <file>', 'plan against an inventory snapshot (JSON) instead of empty nodes')
    .option('--out <file>', 'also save the plan (JSON) for `underlay apply --plan`')
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 2 when there are, 1 on error')
    .option('--no-color', 'no ANSI colours in text output')
    .addHelpText('after', '\nExit codes: 0 success (with --detailed-exitcode: no changes), 1 error, 2 changes pending (with --detailed-exitcode).')
    .action(async (options: PlanOptions) => {
      const revision = await readSiteRevision(options, io);
      const inventory = options.inventory ? await readInventoryFile(options.inventory, io) : emptyInventory();
      if (!inventory) return setExit(ExitCode.Error);
      const { plan, diagnostics } = planRevision(revision, inventory);
      printDiagnostics(io, diagnostics);
      if (!plan) return setExit(ExitCode.Error);
      io.stdout(renderPlan(plan, options.output, options.color && options.output === 'text' && Boolean(process.stdout.isTTY)));
      if (options.out) await writeFile(path.resolve(io.cwd, options.out), renderJson(plan));
      setExit(options.detailedExitcode && plan.changes.length > 0 ? ExitCode.Changes : ExitCode.Ok);
    });
};
