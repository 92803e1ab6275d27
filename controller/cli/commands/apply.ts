import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { recordManaged } from '../../../reconcilers/managed-record.js';
import { reconcilerFor } from '../../../reconcilers/registry.js';
import { applyPlan, type ApplyEvent, type ReconcilerLookup } from '../../apply/apply-plan.js';
import { renderChangeSetSummary } from '../../apply/change-set.js';
import { faultHookFromEnv } from '../../apply/fault-injection.js';
import { applyTargets, observeLiveSite, planLiveSite } from '../../apply/live-site.js';
import type { Inventory } from '../../inventory/inventory.js';
import { nodeInventoryHashes } from '../../plan/inventory-hash.js';
import { fileContentMismatches, planHash } from '../../plan/make-plan.js';
import type { Plan } from '../../plan/plan.js';
import { renderText } from '../../plan/render-text.js';
import { systemClock } from '../../clock.js';
import { ExitCode, UsageError, type CliIO } from '../io.js';
import type { Register } from '../main.js';
import { printDiagnostics } from '../print-diagnostics.js';
import { addSiteOptions, readSiteRevision } from '../site-options.js';
import { addLiveOptions, concurrencyOf, openStore, sshTransport, type LiveOptions } from '../live-options.js';

export const registryLookup: ReconcilerLookup = (kind) => {
  try {
    return reconcilerFor(kind);
  } catch {
    return undefined;
  }
};

interface ApplyOptions extends LiveOptions {
  plan?: string;
  detailedExitcode?: boolean;
  color: boolean;
}

/** A saved plan, checked against its own hash: a plan edited by hand is not applied. */
async function readPlanFile(file: string, io: CliIO): Promise<Plan> {
  const plan = JSON.parse(await readFile(path.resolve(io.cwd, file), 'utf8')) as Plan;
  if (plan.kind !== 'Plan' || !Array.isArray(plan.changes)) throw new UsageError(`${file} is not a plan`);
  if (planHash(plan) !== plan.hash) throw new UsageError(`${file}: plan hash does not match its content (edited after it was made?)`);
  const mismatched = fileContentMismatches(plan);
  if (mismatched.length > 0) throw new UsageError(`${file}: file content does not match its sha256 in ${mismatched.join(', ')} (edited after it was made?)`);
  return plan;
}

/** Nodes of the plan whose part of the inventory is no longer what the plan was made against. */
export function staleNodes(plan: Plan, inventory: Inventory): string[] {
  const now = nodeInventoryHashes(inventory);
  const planned = new Set(plan.changes.map((c) => c.node).filter((n) => n in plan.nodeInventoryHashes || n in inventory.nodes));
  return [...planned].filter((n) => now[n] !== plan.nodeInventoryHashes[n]).sort();
}

function progress(io: CliIO): (event: ApplyEvent) => void {
  return (event) => {
    if (event.type === 'change-finished') {
      const r = event.result;
      const detail = r.outcome === 'failed' ? `: ${r.error}` : r.outcome === 'skipped' ? ` (${r.reason})` : '';
      io.stdout(`  ${r.outcome.padEnd(7)} ${r.action} ${r.id}${detail}\n`);
    } else if (event.type === 'batch-gate') {
      const bad = Object.entries(event.unhealthy).map(([n, m]) => `${n}: ${m}`);
      io.stdout(`  rollout ${event.cluster} batch ${event.batch} (${event.nodes.join(', ')}): ${bad.length === 0 ? 'healthy' : `UNHEALTHY ${bad.join('; ')}`}\n`);
    } else if (event.type === 'rollout-halted') {
      io.stderr(`RolloutHalted (${event.condition.reason}): ${event.condition.message}\n`);
    }
  };
}

export const registerApply: Register = (program, io, setExit) => {
  addLiveOptions(addSiteOptions(program.command('apply')))
    .description('Observe the nodes, plan, and apply the plan: batch by batch, journalled, halting when failures pass the budget.')
    .option('--plan <file>', 'apply exactly this saved plan (refused if its nodes changed since it was made)')
    .option('--detailed-exitcode', 'exit 2 when changes were applied and all succeeded')
    .option('--no-color', 'no ANSI colours in the plan')
    .addHelpText('after', '\nExit codes: 0 all applied (or nothing to do), 1 error or any failure, 2 changes applied (with --detailed-exitcode).')
    .action(async (options: ApplyOptions) => {
      const concurrency = concurrencyOf(options);
      const saved = options.plan ? await readPlanFile(options.plan, io) : null;
      const store = openStore(options, io);
      try {
        for (const r of await store.recoverInterruptedRuns()) {
          const inFlight = r.inFlight.map((e) => e.changeId);
          io.stderr(
            `warning: run ${r.run.id} was interrupted${inFlight.length > 0 ? ` during ${inFlight.join(', ')}` : ''}; ` +
              'the nodes are re-observed and re-planned, so nothing is lost or repeated\n',
          );
        }
        const revision = await readSiteRevision(saved ? { ...options, rev: saved.revision.commit } : options, io);
        const transport = await sshTransport(options, io, revision);
        try {
          const observed = await observeLiveSite({ revision, transport, concurrency, clock: systemClock });
          printDiagnostics(io, observed.diagnostics);
          if (!observed.desired || !observed.inventory) return setExit(ExitCode.Error);
          const inventory = observed.inventory;
          let plan: Plan;
          if (saved) {
            const stale = staleNodes(saved, inventory);
            if (stale.length > 0) {
              io.stderr(`error: the plan is stale: these nodes changed since it was made: ${stale.join(', ')}; plan again\n`);
              return setExit(ExitCode.Error);
            }
            plan = saved;
          } else {
            const planned = planLiveSite(revision, inventory);
            printDiagnostics(io, planned.diagnostics);
            if (!planned.plan) return setExit(ExitCode.Error);
            plan = planned.plan;
          }
          io.stdout(renderText(plan, { color: options.color && Boolean(process.stdout.isTTY) }));
          const { nodes, unreachable } = applyTargets(observed.desired, inventory);
          const changeSet = await applyPlan({
            plan,
            nodes,
            unreachable,
            transport,
            reconcilers: registryLookup,
            managedRecord: { update: (ctx, updates) => recordManaged(ctx, updates, inventory.nodes[ctx.node.name]?.managed) },
            store,
            clock: systemClock,
            concurrency,
            onEvent: progress(io),
            fault: faultHookFromEnv(io.env),
          });
          io.stdout(renderChangeSetSummary(changeSet));
          if (changeSet.status !== 'succeeded') return setExit(ExitCode.Error);
          setExit(options.detailedExitcode && plan.changes.length > 0 ? ExitCode.Changes : ExitCode.Ok);
        } finally {
          await transport.close();
        }
      } finally {
        await store.close();
      }
    });
};
