/**
 * Only revisions whose commit is signed by an allowed key go on (a site's `source.verifySignatures`): placed
 * right after fetch-revision, so nothing of a refused revision is loaded, planned or applied. A refusal
 * stalls with `SignatureRefused` and the reason (unsigned, another key, ...): retrying the same commit
 * cannot help, a new commit can. The daemon alerts on it.
 */
import type { Revision } from '../../source/revision.js';
import { verifyCommitSignature } from '../../watch/commit-signature.js';
import { required } from '../reconcile-state.js';
import { proceed } from '../reconcile-step.js';
import type { RuntimeStep } from '../runtime-deps.js';

export interface SignaturePolicy {
  /** The allowed-signers file (OpenSSH format). */
  allowedSigners: string;
  /** Where the revision's commit is stored: the local repository's git directory, or the fetch cache (gitDirOf). */
  gitDir: (revision: Revision) => Promise<string>;
}

export function verifySignature(policy: SignaturePolicy): RuntimeStep {
  return {
    name: 'verify-signature',
    async run(state, deps) {
      const revision = required(state.revision, 'a fetched revision', 'verify-signature');
      if (revision.worktree) return { type: 'stall', code: 'SignatureRefused', message: 'an uncommitted working directory has no signature to verify' };
      const verdict = await verifyCommitSignature({ gitDir: await policy.gitDir(revision), commit: revision.commit, allowedSigners: policy.allowedSigners, at: deps.clock.now() });
      if (!verdict.verified) return { type: 'stall', code: 'SignatureRefused', message: verdict.reason };
      return proceed(state);
    },
  };
}
