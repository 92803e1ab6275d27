/**
 * The options every command that reads a site shares: where the repository is and which revision.
 */
import { Command, Option } from 'commander';
import path from 'node:path';
import { readRevision } from '../source/git-source.js';
import type { Revision } from '../source/revision.js';
import type { CliIO } from './io.js';

export interface SiteOptions {
  repo?: string;
  rev?: string;
  worktree?: boolean;
  cacheDir?: string;
}

export function addSiteOptions(command: Command): Command {
  return command
    .option('--repo <path|url>', 'site repository: a local path (bare or not) or an http(s):// URL (default: current directory)')
    .option('--rev <ref>', 'branch, tag or commit to read (default: HEAD)')
    .option('--worktree', 'read uncommitted files from a local working tree instead of a commit (development only; plans say so)')
    .addOption(new Option('--cache-dir <dir>', 'where remote repositories are cached').env('UNDERLAY_CACHE_DIR'));
}

const isUrl = (repo: string): boolean => /^(https?|ssh):\/\//.test(repo);

export async function readSiteRevision(options: SiteOptions, io: CliIO): Promise<Revision> {
  const repo = options.repo ?? io.cwd;
  const resolvedRepo = isUrl(repo) ? repo : path.resolve(io.cwd, repo);
  const cacheDir = options.cacheDir ?? path.join(io.env.XDG_CACHE_HOME ?? path.join(io.env.HOME ?? '/root', '.cache'), 'underlay', 'repos');
  return readRevision({ repo: resolvedRepo, ref: options.rev, cacheDir, worktree: options.worktree ?? false });
}
