import type { HttpClient } from 'isomorphic-git';
import type { Timers } from '../clock.js';
import { openRemote, type GitSshSettings } from '../source/git-source.js';
import { locateRepo } from '../source/locate-repo.js';
import { parseRepoLocation } from '../source/repo-location.js';
import { SourceError } from '../source/source-error.js';
import { defaultFs } from '../source/source-fs.js';
import { watchLocalRepository } from './local-repository-watch.js';
import { pollRemoteRef } from './remote-ref-poll.js';
import { remoteRefResolver } from './remote-ref.js';
import type { SourceWatch } from './source-watch.js';

/** The figure: polls spread over ± 5 % of their interval. */
export const POLL_JITTER = 0.05;

export interface SiteSourceWatchOptions {
  /** As `readRevision` takes it: a local path, an http(s) URL or an SSH remote. */
  repo: string;
  ref?: string;
  /** The poll interval in ms, for remotes (local repositories are watched instead). */
  pollEvery: number;
  timers: Timers;
  random: () => number;
  ssh?: GitSshSettings;
  http?: HttpClient;
  /** The commit the daemon last read, so a move before the first poll is seen (see pollRemoteRef). */
  since?: string;
  /** A watch or poll that failed (a round that could not reach the server): the site's source is unreachable. */
  onError?: (error: unknown) => void;
}

/** Which watch saw the ref move: the reason a reconcile is logged with. */
export type SourceChange = 'watch' | 'poll';

/**
 * The watch a site's source needs, chosen by where it lives: chokidar on a local repository's refs, a poll
 * of a remote's ref. Either way `onChange` only says "re-read the ref", and which of the two saw it move;
 * webhooks come on top, through the webhook listener.
 */

export async function watchSiteSource(opts: SiteSourceWatchOptions, onChange: (how: SourceChange) => void): Promise<SourceWatch> {
  const location = parseRepoLocation(opts.repo);
  if (location.kind === 'invalid') throw new SourceError('InvalidRepoUrl', { repo: opts.repo, ref: opts.ref }, location.reason);
  if (location.kind === 'local') {
    const { gitdir } = await locateRepo(defaultFs, opts.repo, opts.ref);
    return watchLocalRepository(gitdir, () => onChange('watch'), { onError: opts.onError });
  }
  const remote = await openRemote({ repo: opts.repo, ref: opts.ref, ssh: opts.ssh, http: opts.http });
  return pollRemoteRef(
    {
      every: opts.pollEvery,
      jitter: POLL_JITTER,
      timers: opts.timers,
      random: opts.random,
      resolve: remoteRefResolver(remote, opts.ref),
      since: opts.since,
      onError: opts.onError,
    },
    () => onChange('poll'),
  );
}
