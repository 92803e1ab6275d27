/**
 * The options every command that reads a site shares: where the repository is and which revision, and,
 * for a repository behind SSH, what the controller trusts its server by and logs in with.
 */
import { Command, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readRevision, type GitSshSettings } from '../source/git-source.js';
import { parseRepoLocation } from '../source/repo-location.js';
import type { Revision } from '../source/revision.js';
import { SecretError } from '../secrets/secret-store.js';
import type { CliIO } from './io.js';
import { secretStoreOf, stateDirOf, type SecretsOptions } from './state-options.js';

export interface SiteOptions extends SecretsOptions {
  repo?: string;
  rev?: string;
  worktree?: boolean;
  cacheDir?: string;
  knownHosts?: string;
  gitKeySecret: string;
}

export const DEFAULT_GIT_KEY_SECRET = 'git-ssh-key';

export function addSiteOptions(command: Command): Command {
  return command
    .option('--repo <path|url>', 'site repository: a local path (bare or not), an http(s):// URL, ssh://[user@]host[:port]/path or [user@]host:path (default: current directory)')
    .option('--rev <ref>', 'branch, tag or commit to read (default: HEAD)')
    .option('--worktree', 'read uncommitted files from a local working tree instead of a commit (development only; plans say so)')
    .addOption(new Option('--cache-dir <dir>', 'where remote repositories are cached').env('UNDERLAY_CACHE_DIR'))
    .addOption(new Option('--known-hosts <file>', 'the host keys of Git servers reached over SSH, in known_hosts format; no other server is trusted (default: <state-dir>/known_hosts)').env('UNDERLAY_KNOWN_HOSTS'))
    .option('--git-key-secret <name>', 'the secret (in --secrets-dir) holding the private key for Git over SSH', DEFAULT_GIT_KEY_SECRET);
}

export async function readSiteRevision(options: SiteOptions, io: CliIO): Promise<Revision> {
  const repo = options.repo ?? io.cwd;
  const resolvedRepo = parseRepoLocation(repo).kind === 'local' ? path.resolve(io.cwd, repo) : repo;
  return readRevision({ repo: resolvedRepo, ref: options.rev, cacheDir: cacheDirOf(options, io), worktree: options.worktree ?? false, ssh: gitSshSettings(options, io) });
}

/** Where remote repositories are fetched to (--cache-dir, else under XDG_CACHE_HOME or ~/.cache). */
export function cacheDirOf(options: Pick<SiteOptions, 'cacheDir'>, io: CliIO): string {
  return options.cacheDir ?? path.join(io.env.XDG_CACHE_HOME ?? path.join(io.env.HOME ?? '/root', '.cache'), 'underlay', 'repos');
}

/** Read only if the repository is behind SSH and a fetch is needed; the key is checked like every secret. */
export function gitSshSettings(options: SiteOptions, io: CliIO): GitSshSettings {
  return {
    knownHostsFile: path.resolve(io.cwd, options.knownHosts ?? path.join(stateDirOf(options, io), 'known_hosts')),
    privateKey: async () => {
      try {
        return await readFile(await secretStoreOf(options, io).file(options.gitKeySecret));
      } catch (err) {
        if (!(err instanceof SecretError)) throw err;
        throw new SecretError(err.code, err.data.name, `${err.message} (choose the secret with --git-key-secret NAME, the store with --secrets-dir DIR)`);
      }
    },
  };
}
