import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { watch } from 'chokidar';
import type { SourceWatch } from './source-watch.js';

export interface LocalWatchOptions {
  /** A watcher error (the directory removed, inotify limits): the daemon reports it and may fall back to polling. */
  onError?: (error: Error) => void;
}

/**
 * Watches the refs of a local repository: `refs/`, `packed-refs` and `HEAD`. All three, because a branch
 * lives in any of them over its life: a commit writes `refs/heads/<b>`, `git pack-refs` / `git gc` moves it
 * into `packed-refs` and deletes the loose file, and `git checkout` or a symbolic-ref change only rewrites
 * `HEAD`. Watching `refs/heads/<b>` alone would miss a ref that git packed and then moved again.
 *
 * Objects, logs and the index are never looked at (a large repository has many of them, and they say nothing
 * about what a ref points at); git's `*.lock` files are the half of an atomic rename that says nothing yet.
 * `onChange` runs for every event: the daemon's queue coalesces a burst into one reconcile.
 */
export async function watchLocalRepository(gitDir: string, onChange: () => void, options: LocalWatchOptions = {}): Promise<SourceWatch> {
  const roots = await refRoots(path.resolve(gitDir));
  const watcher = watch(roots, {
    ignoreInitial: true,
    ignored: (p: string) => !roots.some((root) => isRefPath(root, path.resolve(p))),
  });
  let closed = false;
  watcher.on('all', () => {
    if (!closed) onChange();
  });
  watcher.on('error', (error: unknown) => {
    if (!closed) options.onError?.(error instanceof Error ? error : new Error(String(error)));
  });
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    close: async () => {
      closed = true;
      await watcher.close();
    },
  };
}

/**
 * Where the refs are: the git directory, and for a linked worktree (`git worktree add`) also the common
 * directory its `commondir` file names, which holds every branch; the worktree's own directory has its HEAD.
 */
async function refRoots(gitDir: string): Promise<string[]> {
  try {
    const common = (await readFile(path.join(gitDir, 'commondir'), 'utf8')).trim();
    return [gitDir, path.resolve(gitDir, common)];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [gitDir];
    throw err;
  }
}

/** Whether a path under the git directory `root` is one a ref can live in (or the directory on the way to one). */
export function isRefPath(root: string, p: string): boolean {
  if (p.endsWith('.lock')) return false;
  const refs = path.join(root, 'refs');
  return p === root || p === refs || p === path.join(root, 'HEAD') || p === path.join(root, 'packed-refs') || p.startsWith(refs + path.sep);
}
