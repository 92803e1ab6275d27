import nodeHttp from 'isomorphic-git/http/node';
import type { HttpClient } from 'isomorphic-git';
import { ObjectReadError } from './git-objects.js';
import { locateRepo } from './locate-repo.js';
import { readCommitFiles } from './read-tree.js';
import { readWorktreeFiles, WorktreeChanged } from './read-worktree.js';
import { cachePathFor, httpRemote, syncRemote, withCacheLock, type Remote } from './remote-cache.js';
import { parseRepoLocation, type RepoLocation } from './repo-location.js';
import { resolveCommit, LOCAL_NAMESPACES, type RefNamespaces } from './resolve-ref.js';
import { DEFAULT_READ_LIMITS, type ReadLimits, type Revision } from './revision.js';
import { SourceError } from './source-error.js';
import { defaultFs, type SourceFs } from './source-fs.js';
import type { GitSshSettings } from './ssh-remote.js';

export { SourceError, type SourceErrorCode } from './source-error.js';
export type { SourceFs } from './source-fs.js';
export type { GitSshSettings } from './ssh-remote.js';
export type { Remote } from './remote-cache.js';

export interface ReadRevisionOptions {
  /** A local path (bare or non-bare repository root), an http(s) URL, or ssh://[user@]host[:port]/path or [user@]host:path (see repo-location.ts). */
  repo: string;
  /** Branch, tag, full ref name, or (abbreviated, >= 4 hex) commit id; undefined means HEAD. */
  ref?: string;
  /** Where remote repositories are cached between calls; unused for local paths. */
  cacheDir: string;
  /** Read the uncommitted working directory of a local repository instead of a commit. */
  worktree?: boolean;
  /** Injectable like isomorphic-git's own `fs` parameter (refs, worktree, remote cache; git itself reads the objects); defaults to node:fs. */
  fs?: SourceFs;
  /** Injectable HTTP client (isomorphic-git's plugin shape) for http(s) URLs; defaults to isomorphic-git/http/node. */
  http?: HttpClient;
  /** For SSH remotes: the known_hosts that pins Git servers' keys, and the key to log in with. */
  ssh?: GitSshSettings;
  /** How much of the revision is read at most (DEFAULT_READ_LIMITS); larger files are left unread. */
  limits?: Partial<ReadLimits>;
}

/** In a fetch cache, branches exist only as remote-tracking refs, and HEAD is the remote's HEAD. */
const REMOTE_NAMESPACES: RefNamespaces = { branchPrefix: 'refs/remotes/origin/', head: 'refs/remotes/origin/HEAD' };

/**
 * Reads one revision of a site repository. Committed content always comes from Git objects, never from
 * a checkout, so the result is tied to a commit id a reviewer can look up.
 */
export async function readRevision(opts: ReadRevisionOptions): Promise<Revision> {
  try {
    return await readFrom(opts);
  } catch (err) {
    if (err instanceof ObjectReadError || err instanceof WorktreeChanged) throw new SourceError('ReadFailed', { repo: opts.repo, ref: opts.ref }, err.message, err);
    throw err;
  }
}

async function readFrom(opts: ReadRevisionOptions): Promise<Revision> {
  const fs = opts.fs ?? defaultFs;
  const { repo, ref } = opts;
  const limits: ReadLimits = { ...DEFAULT_READ_LIMITS, ...opts.limits };
  const readCommit = (gitdir: string, commit: string) => readCommitFiles(gitdir, commit, limits);

  const location = parseRepoLocation(repo);
  if (location.kind === 'invalid') throw new SourceError('InvalidRepoUrl', { repo, ref }, location.reason);
  if (location.kind !== 'local') {
    if (opts.worktree) {
      throw new SourceError('NotARepository', { repo, ref }, 'worktree mode needs a local working directory, not a URL');
    }
    const remote = await remoteFor(opts, location);
    return withCacheLock(cachePathFor(opts.cacheDir, remote.id), async () => {
      const gitdir = await syncRemote({ fs, remote, cacheDir: opts.cacheDir, ref });
      const commit = await resolveCommit({ fs, gitdir, repo, ref, namespaces: REMOTE_NAMESPACES });
      return revision(opts, commit, false, await readCommit(gitdir, commit));
    });
  }

  const local = await locateRepo(fs, repo, ref);
  if (opts.worktree) {
    if (local.dir === undefined) {
      throw new SourceError('NotARepository', { repo, ref }, 'worktree mode needs a working directory; this is a bare repository');
    }
    return revision(opts, 'worktree', true, await readWorktreeFiles(fs, local.dir, local.gitdir, limits));
  }
  const commit = await resolveCommit({ fs, gitdir: local.gitdir, repo, ref, namespaces: LOCAL_NAMESPACES });
  return revision(opts, commit, false, await readCommit(local.gitdir, commit));
}

/**
 * The git directory a revision of `repo` is read from: the repository's own for a local path, the fetch
 * cache for a remote (which `readRevision` fills). What a commit's signature is checked in.
 */
export async function gitDirOf(opts: RemoteOptions & { cacheDir: string }): Promise<string> {
  const location = parseRepoLocation(opts.repo);
  if (location.kind === 'local') return (await locateRepo(opts.fs ?? defaultFs, opts.repo, opts.ref)).gitdir;
  return cachePathFor(opts.cacheDir, (await openRemote(opts)).id);
}

export type RemoteOptions = Pick<ReadRevisionOptions, 'repo' | 'ref' | 'fs' | 'http' | 'ssh'>;

/**
 * How an http(s) or SSH repository is reached, without fetching anything: what `readRevision` fetches
 * through, and what a poll lists the remote's refs through (controller/watch/remote-ref.ts).
 */
export async function openRemote(opts: RemoteOptions): Promise<Remote> {
  const location = parseRepoLocation(opts.repo);
  if (location.kind === 'invalid') throw new SourceError('InvalidRepoUrl', { repo: opts.repo, ref: opts.ref }, location.reason);
  if (location.kind === 'local') throw new SourceError('InvalidRepoUrl', { repo: opts.repo, ref: opts.ref }, 'a local path is watched, not fetched from');
  return remoteFor(opts, location);
}

async function remoteFor(opts: RemoteOptions, location: Exclude<RepoLocation, { kind: 'invalid' | 'local' }>): Promise<Remote> {
  if (location.kind === 'http') return httpRemote(opts.repo, opts.http ?? nodeHttp);
  // Imported here: only SSH remotes need ssh2.
  const { sshRemote } = await import('./ssh-remote.js');
  return sshRemote({ repo: opts.repo, ref: opts.ref, remote: location.remote, settings: opts.ssh, fs: opts.fs ?? defaultFs });
}

function revision(opts: ReadRevisionOptions, commit: string, worktree: boolean, files: Revision['files']): Revision {
  return { source: opts.repo, ref: opts.ref ?? 'HEAD', commit, worktree, files };
}
