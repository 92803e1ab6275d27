/**
 * `underlay drift`: one drift check of the site (controller/drift/check-drift.ts), printed; with
 * `--correct`, the corrections the policy calls for carried out under the apply locks. Exit 2 when
 * something drifted, 1 when the check could not see everything (a node unobserved, a stop), else 0.
 */
import { Option } from 'commander';
import { DEFAULT_LEASE_TTL_SECONDS } from '../../apply/node-leases.js';
import { renderChangeSetSummary } from '../../apply/change-set.js';
import { canonicalJson } from '../../model/canonical-json.js';
import { checkDrift } from '../../drift/check-drift.js';
import type { DriftReport } from '../../drift/drift-report.js';
import { driftReportJson, renderDriftText } from '../../drift/render-drift.js';
import type { ReconcileEvent } from '../../runtime/reconcile-event.js';
import { parseDuration } from '../duration.js';
import { ExitCode, type CliIO } from '../io.js';
import { addLiveOptions, type LiveOptions } from '../live-options.js';
import type { Register } from '../main.js';
import { printDiagnostics } from '../print-diagnostics.js';
import { cliDriftDeps } from '../drift-deps.js';
import { cliReconcileDeps } from '../reconcile-deps.js';
import { addSiteOptions } from '../site-options.js';

interface DriftOptions extends LiveOptions {
  correct?: boolean;
  output: 'text' | 'json';
  against: DriftReport['baseline'];
  lockTimeout: string;
}

/** What the check tells as it goes, on stderr (stdout is the report): diagnostics, locks, what a correction did. */
function driftPrinter(io: CliIO): (event: ReconcileEvent) => void {
  return (event) => {
    if (event.type === 'resolved' && event.final) printDiagnostics(io, event.diagnostics);
    if (event.type === 'locks-refused') for (const error of event.errors) io.stderr(`error: ${error.message} [${error.code}]\n`);
    if (event.type === 'applied') io.stderr(renderChangeSetSummary(event.changeSet));
  };
}

function driftExit(report: DriftReport): number {
  const failed = report.outcome.type !== 'done' || report.unobserved.length > 0 || (report.correction?.failed.length ?? 0) > 0;
  if (failed) return ExitCode.Error;
  return report.drifted.length > 0 ? ExitCode.Changes : ExitCode.Ok;
}

export const registerDrift: Register = (program, io, setExit) => {
  addLiveOptions(addSiteOptions(program.command('drift')))
    .description('Observe the nodes and report what differs from the last applied revision: each drifted resource with its age, digests before and after, and what its drift policy does.')
    .option('--correct', 'carry out the corrections the policy calls for (drift.mode: correct), under the apply locks, in rollout batches')
    .addOption(new Option('--against <revision>', 'measure against the last applied revision, or the current one (as a plan-only site does)').choices(['last-applied', 'current']).default('last-applied'))
    .addOption(new Option('--output <format>', 'how to print the report').choices(['text', 'json']).default('text'))
    .option('--lock-timeout <duration>', 'with --correct: wait this long for another apply to give up the site lock or a node lease', '0')
    .addHelpText('after', '\nExit codes: 0 no drift, 1 error (the check stopped, a node could not be observed, a correction failed), 2 drift found.')
    .action(async (options: DriftOptions) => {
      const correct = options.correct ? { lockTimeoutMs: parseDuration('--lock-timeout', options.lockTimeout), leaseTtlSeconds: DEFAULT_LEASE_TTL_SECONDS } : undefined;
      const reconcile = cliReconcileDeps(options, io, driftPrinter(io));
      try {
        const report = await checkDrift(cliDriftDeps(options, io, reconcile), { site: options.repo ?? io.cwd, baseline: options.against, ...(correct ? { correct } : {}) });
        io.stdout(options.output === 'json' ? canonicalJson(driftReportJson(report), 2) + '\n' : renderDriftText(report));
        setExit(driftExit(report));
      } finally {
        await reconcile.close();
      }
    });
};
