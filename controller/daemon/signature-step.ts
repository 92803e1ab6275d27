/**
 * With `source.verifySignatures`, a revision goes no further unless its commit carries an SSH signature by
 * a key of the allowed-signers file (controller/watch/commit-signature.ts). A refused commit stalls the
 * site (`SignatureRefused`, alerted) until a new commit arrives: nothing of it is planned or applied.
 */
import type { CliIO } from '../cli/io.js';
import { cacheDirOf, gitSshSettings } from '../cli/site-options.js';
import { required } from '../runtime/reconcile-state.js';
import type { RuntimeStep } from '../runtime/runtime-deps.js';
import { gitDirOf } from '../source/git-source.js';
import { verifyCommitSignature } from '../watch/commit-signature.js';
import type { ControllerConfig, SiteConfig } from './controller-config.js';
import { siteLiveOptions } from './site-reconcile.js';

export function verifySignature(controller: Pick<ControllerConfig, 'stateDir' | 'secretsDir'>, site: SiteConfig, io: CliIO): RuntimeStep {
  return {
    name: 'verify-signature',
    async run(state) {
      const allowedSigners = site.source.verifySignatures?.allowedSigners;
      if (allowedSigners === undefined) return { type: 'continue', state };
      const revision = required(state.revision, 'a revision', 'verify-signature');
      const options = siteLiveOptions(controller, site);
      const gitDir = await gitDirOf({ repo: site.source.repository, ...(site.source.ref ? { ref: site.source.ref } : {}), cacheDir: cacheDirOf(options, io), ssh: gitSshSettings(options, io) });
      const verdict = await verifyCommitSignature({ gitDir, commit: revision.commit, allowedSigners });
      if (verdict.verified) return { type: 'continue', state };
      return { type: 'stall', code: 'SignatureRefused', message: `the revision is not applied: ${verdict.reason}`, state };
    },
  };
}
