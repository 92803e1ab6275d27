import { Option } from 'commander';
import { validateRevision } from '../../pipeline/plan-revision.js';
import { hasErrors } from '../../spec/diagnostic.js';
import { ExitCode } from '../io.js';
import type { Register } from '../main.js';
import { printDiagnostics } from '../print-diagnostics.js';
import { addSiteOptions, readSiteRevision, type SiteOptions } from '../site-options.js';
import { addSecretsOption, addStateOption } from '../state-options.js';

export const registerValidate: Register = (program, io, setExit) => {
  // The state directory and secret store only hold what a repository behind SSH needs: known_hosts and the key.
  addSecretsOption(addStateOption(addSiteOptions(program.command('validate'))))
    .description('Load, check and resolve every document of a revision; report all problems at once.')
    .addOption(new Option('--output <format>', 'text diagnostics on stderr, or json on stdout').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExit codes: 0 valid (warnings allowed), 1 errors found or the repository could not be read.')
    .action(async (options: SiteOptions & { output: 'text' | 'json' }) => {
      const revision = await readSiteRevision(options, io);
      const { diagnostics, desired } = validateRevision(revision);
      if (options.output === 'json') {
        io.stdout(`${JSON.stringify({ revision: { commit: revision.commit, worktree: revision.worktree }, diagnostics }, null, 2)}\n`);
      } else {
        printDiagnostics(io, diagnostics);
      }
      if (hasErrors(diagnostics)) return setExit(ExitCode.Error);
      if (options.output === 'text') {
        const resources = desired?.nodes.reduce((n, node) => n + node.resources.length, 0) ?? 0;
        io.stdout(`Valid: revision ${revision.commit}${revision.worktree ? ' (UNCOMMITTED WORKTREE)' : ''}, ${desired?.nodes.length ?? 0} node(s), ${resources} resource(s).\n`);
      }
      setExit(ExitCode.Ok);
    });
};
