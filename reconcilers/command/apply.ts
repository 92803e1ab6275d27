/**
 * Runs a guarded command. The planner already consulted the guards (creates/unless) when it decided to
 * run; argv goes to the node as argv (quoted by the transport), never as a shell string.
 */
import type { Change } from '../../controller/plan/plan.js';
import { APPLIED, type ApplyOutcome } from '../apply-outcome.js';
import { ApplyError, outputTail } from '../node-exec.js';
import type { ApplyContext } from '../reconciler.js';

/** Commands may do real work (initialising a database); bounded all the same. */
export const COMMAND_TIMEOUT_MS = 10 * 60_000;

export async function applyCommand(ctx: ApplyContext, change: Change): Promise<ApplyOutcome> {
  // A command cannot be undone: deleting it only means underlay stops tracking it.
  if (change.action === 'delete') {
    return APPLIED;
  }
  const argv = change.after?.argv;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a): a is string => typeof a === 'string')) {
    throw new ApplyError(ctx.node.name, `change ${change.id} carries no argv to run`);
  }
  const result = await ctx.transport.exec(ctx.node, argv, { timeoutMs: COMMAND_TIMEOUT_MS });
  if (result.code !== 0) {
    throw new ApplyError(ctx.node.name, `command ${change.key} exited ${result.code}: ${outputTail(result)}`, result);
  }
  return APPLIED;
}
