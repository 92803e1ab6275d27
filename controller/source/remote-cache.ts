import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import git, { type HttpClient } from 'isomorphic-git';
import { sha256 } from '../model/sha256.js';
import { withObjectStore } from './git-objects.js';
import { isGitError } from './resolve-ref.js';
import { SourceError } from './source-error.js';
import { exists, type SourceFs } from './source-fs.js';
import { KeyedQueue } from '../model/keyed-queue.js';

/** A repository fetched over the network, however it is reached. */
export interface Remote {
  /** Names its cache: one repository, one cache, whichever credentials reach it. Holds none itself. */
  id: string;
  /** Stored as the cache's origin URL for people looking at it; holds no credentials. */
  url: string;
  /**
   * Runs one fetch: `task` gets the isomorphic-git http plugin and URL that reach the repository. Anything
   * a connection needs (an SSH handshake, known_hosts, a key) is set up only here, when a fetch is needed.
   */
  connect<T>(task: (via: { http: HttpClient; url: string }) => Promise<T>): Promise<T>;
}

export interface RemoteCacheOptions {
  fs: SourceFs;
  remote: Remote;
  cacheDir: string;
  ref: string | undefined;
}

/** An http(s) URL, credentials (if any) included: they are used on each fetch and stored nowhere. */
export function httpRemote(url: string, http: HttpClient): Remote {
  return { id: withoutCredentials(url), url: withoutCredentials(url), connect: (task) => task({ http, url }) };
}

/**
 * Where a URL's objects are kept. Hashed so any URL (ports, odd characters) is a safe name; credentials
 * are left out so rotating a password keeps the same cache instead of cloning afresh.
 */
export function cachePathFor(cacheDir: string, url: string): string {
  return path.join(cacheDir, sha256(withoutCredentials(url)).slice(0, 16));
}

function withoutCredentials(url: string): string {
  return url.replace(/^(https?:\/\/)[^/@]*@/i, '$1');
}

const cacheQueue = new KeyedQueue();

/**
 * Runs `task` after every earlier task for the same cache directory has settled. A fetch rewrites refs
 * (pruneTags deletes every tag before re-adding them) so a concurrent read or second fetch of the same
 * cache could see a half-updated ref set. Only serialises within this process: two controller processes
 * sharing one cacheDir are not supported.
 */
export function withCacheLock<T>(gitdir: string, task: () => Promise<T>): Promise<T> {
  return cacheQueue.run(gitdir, task);
}

/**
 * Brings the bare cache of `url` up to date and returns its git directory. The first call clones into a
 * temporary directory and renames it into place, so a crash mid-clone never leaves a half-filled cache
 * that later calls would trust. Later calls fetch incrementally (only objects the cache lacks).
 * Must run inside `withCacheLock`.
 */
export async function syncRemote(opts: RemoteCacheOptions): Promise<string> {
  const gitdir = cachePathFor(opts.cacheDir, opts.remote.id);
  if (await exists(opts.fs, gitdir)) {
    if (await hasCommitAlready(opts, gitdir)) return gitdir;
    await fetchInto(opts, gitdir);
    return gitdir;
  }

  await opts.fs.promises.mkdir(opts.cacheDir, { recursive: true });
  const tmp = `${gitdir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await git.init({ fs: opts.fs, gitdir: tmp, bare: true });
    // The stored remote URL carries no password: the cache sits on disk in plain files. fetchInto passes
    // the full URL on each call instead.
    await git.addRemote({ fs: opts.fs, gitdir: tmp, remote: 'origin', url: opts.remote.url });
    await fetchInto(opts, tmp);
    await opts.fs.promises.rename(tmp, gitdir);
  } catch (err) {
    await opts.fs.promises.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return gitdir;
}

/** A full commit id never moves, so if we hold it there is nothing to ask the server. */
async function hasCommitAlready(opts: RemoteCacheOptions, gitdir: string): Promise<boolean> {
  const ref = opts.ref;
  if (ref === undefined || !/^[0-9a-f]{40}$/i.test(ref)) return false;
  // From the object headers: isomorphic-git would load a whole pack file to answer.
  const [info] = await withObjectStore(gitdir, (store) => store.describe([ref.toLowerCase()]));
  return info?.found === true;
}

async function fetchInto(opts: RemoteCacheOptions, gitdir: string): Promise<void> {
  try {
    await opts.remote.connect(({ http, url }) =>
      git.fetch({
        fs: opts.fs,
        http,
        gitdir,
        remote: 'origin',
        url,
        singleBranch: false,
        tags: true,
        // Branches and tags deleted or moved upstream must not linger here, or an operator could keep
        // deploying a ref that no longer exists.
        prune: true,
        pruneTags: true,
      }),
    );
  } catch (err) {
    // Already says what went wrong in the remote's own terms (a refused host key, a refused path).
    if (err instanceof SourceError) throw err;
    const status = (err as { data?: { statusCode?: unknown } }).data?.statusCode;
    if (isGitError(err, 'HttpError') && status === 404) {
      throw new SourceError('RepoNotFound', { repo: opts.remote.url, ref: opts.ref }, 'the server has no repository at this URL (HTTP 404)', err);
    }
    const detail = err instanceof Error ? err.message : String(err);
    throw new SourceError('FetchFailed', { repo: opts.remote.url, ref: opts.ref }, `fetch failed: ${detail}`, err);
  }
}
