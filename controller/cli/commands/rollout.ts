/**
 * `underlay rollout status|pause|resume|abort [--cluster C]`: an operator's view of and hand on each
 * cluster's rollout, as the store keeps it (ADR 0019). A running rollout is asked to pause or abort (the
 * apply running it does so before its next batch); a stopped one is changed at once. What each may do is
 * decided by controller/rollout/rollout-control.ts.
 */
import { Option } from 'commander';
import { canonicalJson } from '../../model/canonical-json.js';
import { controlRollout, type RolloutAction } from '../../rollout/rollout-control.js';
import { renderRolloutStatusText } from '../../status/rollout-status.js';
import type { StoredRollout } from '../../store/rollout-states.js';
import { ExitCode, UsageError, type CliIO } from '../io.js';
import type { Register } from '../main.js';
import { openExistingStore, openStore } from '../live-options.js';
import { addStateOption, type StateOptions } from '../state-options.js';

interface RolloutOptions extends StateOptions {
  cluster?: string;
  site?: string;
  output?: 'text' | 'json';
  recovered?: string[];
}

const STOPPED = new Set(['paused', 'halted', 'aborted']);

/** The site: --site, else the only one the state directory holds. */
async function siteOf(options: RolloutOptions, io: CliIO): Promise<string> {
  const store = openExistingStore(options, io, options.site);
  await store.close();
  return store.site;
}

async function status(options: RolloutOptions, io: CliIO): Promise<number> {
  const store = openExistingStore(options, io, options.site);
  try {
    const all = await store.rolloutStates();
    const shown = options.cluster === undefined ? all : all.filter((r) => r.cluster === options.cluster);
    if (options.cluster !== undefined && shown.length === 0) throw new UsageError(`cluster ${options.cluster} has no rollout on record in site ${store.site}`);
    io.stdout(options.output === 'json' ? `${canonicalJson(shown, 2)}\n` : renderRolloutStatusText(shown));
    return shown.some((r) => STOPPED.has(r.state.status)) ? ExitCode.Error : ExitCode.Ok;
  } finally {
    await store.close();
  }
}

/** Applies the operator's action in one transaction; what it did, or why not. */
async function control(options: RolloutOptions, io: CliIO, action: RolloutAction): Promise<number> {
  if (options.cluster === undefined) throw new UsageError('say which cluster with --cluster C');
  const cluster = options.cluster;
  const store = openStore(options, io, await siteOf(options, io));
  try {
    let message = '';
    let done = false;
    await store.changeRolloutState(cluster, (current: StoredRollout | null) => {
      const decision = controlRollout(current, cluster, action);
      message = decision.message;
      done = decision.ok;
      return decision.ok ? decision.write : undefined;
    });
    if (!done) throw new UsageError(message);
    io.stdout(`${message}\n`);
    return ExitCode.Ok;
  } finally {
    await store.close();
  }
}

export const registerRollout: Register = (program, io, setExit) => {
  const rollout = program.command('rollout').description("Show or steer each cluster's rollout: status, pause, resume, abort.");
  const common = (name: string, description: string) =>
    addStateOption(rollout.command(name))
      .description(description)
      .option('--cluster <name>', 'the cluster whose rollout (default for status: every cluster)')
      .option('--site <id>', "the site (its Site document's name; default: the only site in the state directory)");
  common('status', 'Where each rollout stands: status and why, batches done, the failure budget used, the failed nodes with their gate and its output.')
    .addOption(new Option('--output <format>', 'how to print').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExit codes: 0 no rollout shown is stopped, 1 one is paused, halted or aborted, or on error.')
    .action(async (options: RolloutOptions) => setExit(await status(options, io)));
  common('pause', 'Pause a running rollout before its next batch.').action(async (options: RolloutOptions) => setExit(await control(options, io, { action: 'pause' })));
  common('resume', 'Resume a paused or halted rollout (the next apply carries on after the batches done); or withdraw a pause or abort asked for.')
    .option('--recovered <node...>', 'failed nodes that are healthy again: no longer counted as down, and retried')
    .action(async (options: RolloutOptions) => setExit(await control(options, io, { action: 'resume', ...(options.recovered ? { recovered: options.recovered } : {}) })));
  common('abort', 'Abort a rollout: it stops before its next batch, leaves every node as it is, and says where each is.').action(async (options: RolloutOptions) =>
    setExit(await control(options, io, { action: 'abort' })),
  );
};
