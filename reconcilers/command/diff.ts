/**
 * Pure diff of a guarded command: decides whether it runs, and names the guard that decided.
 * Commands cannot be undone, so a command removed from Git only has its managed record dropped.
 *
 * A run an earlier apply started and did not record (ADR 0006) comes first: one still running is waited for
 * and its result adopted, and one that finished with success for this definition is adopted, whatever the
 * guards say now (the guard may not be true yet while it runs; once adopted, the run is recorded and its
 * marker retired). One that failed or was lost leaves the decision to the guards, as a fresh run.
 */
import { shortHash } from '../../controller/model/sha256.js';
import type { DiffInput, DiffResult } from '../kind.js';
import type { DesiredCommand, ObservedCommand } from './schema.js';

// Members in key order: the plan hash then serialises them natively.
export function commandAfter(d: DesiredCommand): Record<string, unknown> {
  const after: Record<string, unknown> = { argv: d.argv };
  if (d.creates !== undefined) after.creates = d.creates;
  after.name = d.name;
  if (d.rollback !== undefined) after.rollback = d.rollback;
  if (d.unless !== undefined) after.unless = d.unless;
  return after;
}

function commandBefore(o: ObservedCommand | undefined): Record<string, unknown> | null {
  if (!o) return null;
  const before: Record<string, unknown> = {};
  if (o.createsExists !== undefined) before.createsExists = o.createsExists;
  before.name = o.name;
  if (o.run !== undefined) before.run = o.run;
  if (o.unlessExitCode !== undefined) before.unlessExitCode = o.unlessExitCode;
  return before;
}

type ObservedRun = NonNullable<ObservedCommand['run']>;

/** The adoption a run left on the node asks for, if any. */
function adoption(run: ObservedRun | undefined, desiredHash: string | undefined): string | null {
  if (run === undefined) return null;
  const when = run.startedAt === undefined ? '' : ` ${run.startedAt}`;
  const origin = run.runId === undefined || run.runId === '' ? `started${when} by an apply that did not finish` : `started${when} by run ${run.runId}, which did not finish`;
  if (run.state === 'running') {
    const then = run.hash === desiredHash ? 'wait for it and adopt its result' : 'wait for it (it runs an earlier definition), then run this one';
    return `still running (${origin}): ${then}`;
  }
  if (run.state === 'finished' && run.exitCode === 0 && run.hash === desiredHash) {
    return `finished with exit 0 (${origin}): its result is adopted, it does not run again`;
  }
  return null;
}

/** What a run that cannot be adopted says about the fresh one. */
function leftBehind(run: ObservedRun): string {
  if (run.lost === 'rebooted') return 'the run an earlier apply started died with the node';
  if (run.lost === 'unreadable') return 'the run an earlier apply started left a marker that cannot be read';
  if (run.state === 'lost') return 'the run an earlier apply started ended without an exit status';
  if (run.exitCode !== 0) return `the run an earlier apply started exited ${run.exitCode}`;
  return 'the run an earlier apply started ran an earlier definition';
}

/** Why a guarded command runs, or null when a guard says it already did its work. */
function guardReason(d: DesiredCommand, o: ObservedCommand | undefined): string | null {
  const reasons: string[] = [];
  if (d.creates !== undefined) {
    if (o?.createsExists === true) return null;
    reasons.push(o?.createsExists === false ? `creates ${d.creates}: missing` : `creates ${d.creates}: not observed (assumed missing)`);
  }
  if (d.unless !== undefined) {
    if (o?.unlessExitCode === 0) return null;
    reasons.push(o?.unlessExitCode === undefined ? 'unless guard not evaluated (assumed failing)' : `unless guard exited ${o.unlessExitCode}`);
  }
  return reasons.join(', ');
}

export function diffCommand(input: DiffInput<DesiredCommand, ObservedCommand>): DiffResult | null {
  const { desired, observed, managedHash } = input;
  if (desired === null) {
    if (managedHash === undefined) return null;
    return { action: 'delete', reason: 'no longer in Git: the managed record is dropped (commands are not undone)', before: commandBefore(observed), after: null };
  }
  const after = commandAfter(desired);
  const before = commandBefore(observed);
  const desiredHash = input.desiredHash?.();
  const adopt = adoption(observed?.run, desiredHash);
  const disruptive = desired.disruptive === true;
  if (adopt !== null) return { action: 'run', reason: adopt, before, after, disruptive };
  const reason = runReason(desired, observed, managedHash, desiredHash);
  if (reason === null) return null;
  return { action: 'run', reason: observed?.run ? `${reason} (${leftBehind(observed.run)})` : reason, before, after, disruptive };
}

function runReason(d: DesiredCommand, o: ObservedCommand | undefined, managedHash: string | undefined, desiredHash: string | undefined): string | null {
  if (d.creates !== undefined || d.unless !== undefined) return guardReason(d, o);
  if (managedHash === desiredHash) return null;
  return managedHash === undefined
    ? 'no guards and never run by underlay'
    : `no guards and the command changed since its last run (sha256 ${shortHash(managedHash)} -> ${shortHash(desiredHash)})`;
}
