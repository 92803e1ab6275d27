/**
 * A drift check's dependencies as the CLI gives them (controller/drift/drift-deps.ts): the command's
 * reconcile dependencies, the revision at a commit from the same repository flags, and the drift ledger
 * and apply history of the same state database.
 */
import { randomInt } from 'node:crypto';
import { driftStoreOf, type DriftDeps } from '../drift/drift-deps.js';
import type { CliIO } from './io.js';
import type { LiveOptions } from './live-options.js';
import type { CliReconcile } from './reconcile-deps.js';
import { readSiteRevision } from './site-options.js';

export function cliDriftDeps(options: LiveOptions, io: CliIO, reconcile: CliReconcile): DriftDeps {
  return {
    ...reconcile.deps,
    // A commit, never the working tree (`--worktree` names what is read as current, not what was applied).
    revisionAt: (commit) => readSiteRevision({ ...options, rev: commit, worktree: false }, io),
    driftStore: { get: async (site) => driftStoreOf(await reconcile.siteStore.get(site)) },
    // The operator asked for it: neither an approve policy nor a change window is the CLI's to apply.
    permit: { allowed: true },
    random: () => randomInt(0, 1 << 30) / (1 << 30),
  };
}

