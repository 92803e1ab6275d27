import { Option } from 'commander';
import { validateRevision } from '../../pipeline/plan-revision.js';
import type { Desired } from '../../model/desired.js';
import type { PendingStep } from '../../resolve/resolve-site.js';
import type { Revision } from '../../source/revision.js';
import { hasErrors } from '../../spec/diagnostic.js';
import { ExitCode } from '../io.js';
import type { Register } from '../main.js';
import { printDiagnostics } from '../print-diagnostics.js';
import { addSiteOptions, readSiteRevision, type SiteOptions } from '../site-options.js';
import { addSecretsOption, addStateOption } from '../state-options.js';

/** What was checked; steps that need observed facts are rendered, and checked, only by `plan`. */
function validLine(revision: Revision, desired: Desired | null, nodes: number, pending: readonly PendingStep[]): string {
  const head = `Valid: revision ${revision.commit}${revision.worktree ? ' (UNCOMMITTED WORKTREE)' : ''}, ${nodes} node(s)`;
  if (pending.length === 0) return `${head}, ${desired?.nodes.reduce((n, node) => n + node.resources.length, 0) ?? 0} resource(s).\n`;
  const steps = pending.map((p) => `${p.cluster}/${p.step} (${p.nodes.length} node(s))`).join(', ');
  return `${head}; resolved at plan time, from facts observed on the nodes: ${steps}. Their templates, paths and shell-safety are checked by \`underlay plan\`.\n`;
}

export const registerValidate: Register = (program, io, setExit) => {
  // The state directory and secret store only hold what a repository behind SSH needs: known_hosts and the key.
  addSecretsOption(addStateOption(addSiteOptions(program.command('validate'))))
    .description('Load, check and resolve every document of a revision; report all problems at once.')
    .addOption(new Option('--output <format>', 'text diagnostics on stderr, or json on stdout').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExit codes: 0 valid (warnings allowed), 1 errors found or the repository could not be read.')
    .action(async (options: SiteOptions & { output: 'text' | 'json' }) => {
      const revision = await readSiteRevision(options, io);
      const { diagnostics, desired, spec, pendingSteps } = validateRevision(revision);
      if (options.output === 'json') {
        const body = { revision: { commit: revision.commit, worktree: revision.worktree }, diagnostics, ...(pendingSteps.length > 0 ? { resolvedAtPlanTime: pendingSteps } : {}) };
        io.stdout(`${JSON.stringify(body, null, 2)}\n`);
      } else {
        printDiagnostics(io, diagnostics);
      }
      if (hasErrors(diagnostics)) return setExit(ExitCode.Error);
      if (options.output === 'text') io.stdout(validLine(revision, desired, Object.keys(spec?.nodes ?? {}).length, pendingSteps));
      setExit(ExitCode.Ok);
    });
};
