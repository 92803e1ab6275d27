/**
 * Runs a guarded command, tracked on the node (tracked-run.ts, ADR 0006), so that a controller killed while
 * it runs neither loses its result nor starts a second copy: the next apply attaches to the run still going
 * and adopts its result, or adopts the success of one that finished meanwhile. The planner already consulted
 * the guards (creates/unless) when it decided to run; argv goes to the node as argv (quoted by the
 * transport), never as a shell string.
 */
import type { Change } from '../../controller/model/change.js';
import type { ExecResult } from '../../controller/transport/transport.js';
import { APPLIED, type NodeApplyContext, type ApplyOutcome } from '../kind-effects.js';
import { stringField } from '../change-fields.js';
import { ApplyError, outputTail } from '../node-exec.js';
import { describeRunStart, type RunMarker } from './run-marker.js';
import { type RunEnd, type RunRequest, startRun, waitRun } from './tracked-run.js';

/** Commands may do real work (initialising a database); bounded all the same, on the node itself. */
export const COMMAND_TIMEOUT_MS = 10 * 60_000;

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const HASH = /^[\w.-]{1,128}$/;

export async function applyCommand(ctx: NodeApplyContext, change: Change): Promise<ApplyOutcome> {
  // A command cannot be undone: deleting it only means underlay stops tracking it.
  if (change.action === 'delete') {
    return APPLIED;
  }
  const request = runRequest(ctx, change);
  const { name, hash } = request;

  // At most twice: once more only after waiting out a run of an earlier definition.
  for (let attempt = 0; attempt < 2; attempt++) {
    const start = await startRun(ctx, request);
    if (start.state === 'adopted') {
      return { result: 'applied', message: `adopted the result of the run ${describeRunStart(start.marker)} (exit 0); not run again` };
    }
    if (start.state === 'started') await ctx.duringFault?.();
    const end = await waitRun(ctx, name, start.marker);
    if (start.state === 'attached' && start.marker.hash !== hash) continue;
    if (start.state === 'started') {
      checkEnd(ctx, change, { marker: start.marker, end }, '');
      return APPLIED;
    }
    checkEnd(ctx, change, { marker: start.marker, end }, ` (the run ${describeRunStart(start.marker)}, waited for and adopted)`);
    return { result: 'applied', message: `waited for the run ${describeRunStart(start.marker)} and adopted its result; not run again` };
  }
  throw new ApplyError(ctx.node.name, `command ${change.key}: another definition of it kept running on the node`);
}

/** The run a change asks for, its fields checked: they become a marker file's name and a script's arguments on the node. */
function runRequest(ctx: NodeApplyContext, change: Change): RunRequest {
  const argv = change.after?.argv;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a): a is string => typeof a === 'string')) {
    throw new ApplyError(ctx.node.name, `change ${change.id} carries no argv to run`);
  }
  const name = stringField(change.after, 'name', change.id);
  const hash = change.desiredHash;
  if (!NAME.test(name)) throw new ApplyError(ctx.node.name, `change ${change.id}: command name ${JSON.stringify(name)} is not a DNS label`);
  if (hash === undefined || !HASH.test(hash)) throw new ApplyError(ctx.node.name, `change ${change.id} carries no desiredHash to track its run by`);
  return { name, hash, argv, timeoutSeconds: Math.ceil(COMMAND_TIMEOUT_MS / 1000) };
}

/** A run that did not end with exit 0 fails the change, saying how it ended and what it printed. */
function checkEnd(ctx: NodeApplyContext, change: Change, { marker, end }: { marker: RunMarker; end: RunEnd }, adopted: string): void {
  const { report } = end;
  if (report.state === 'finished' && report.exitCode === 0) return;
  const result: ExecResult = { code: report.exitCode ?? 255, stdout: end.stdout, stderr: end.stderr };
  if (report.state === 'finished') {
    // `timeout -s KILL` makes a command that ran out of time exit 137 (128 + SIGKILL).
    const killed = report.exitCode === 137 ? ` (SIGKILL: the node-side timeout is ${marker.timeoutSeconds} s)` : '';
    throw new ApplyError(ctx.node.name, `command ${change.key} exited ${report.exitCode}${killed}${adopted}: ${outputTail(result)}`, result);
  }
  if (report.state === 'running') {
    throw new ApplyError(ctx.node.name, `command ${change.key} is still running past its timeout of ${marker.timeoutSeconds} s${adopted}`);
  }
  const how = report.state === 'none' ? 'its run marker disappeared (another apply adopted it?)' : report.lost === 'rebooted' ? 'the node rebooted under it' : 'it died without an exit status';
  throw new ApplyError(ctx.node.name, `command ${change.key} did not finish: ${how}${adopted}`);
}
