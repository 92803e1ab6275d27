import * as path from 'node:path';
import git from 'isomorphic-git';
import type { RevisionFile } from './revision.js';
import type { SourceFs } from './source-fs.js';

/**
 * Reads the uncommitted working directory as Git would see it on `git add -A`: tracked files always,
 * untracked files unless `.gitignore`/`.git/info/exclude` ignores them, never anything inside `.git`.
 * This is for trying a change before committing it; callers must label the result as uncommitted.
 * Limits: the user's global excludes file (core.excludesFile) is not consulted, and a nested repository
 * is read as plain files rather than skipped as a submodule would be, except for its `.git`.
 */
export async function readWorktreeFiles(fs: SourceFs, dir: string, gitdir: string): Promise<RevisionFile[]> {
  const tracked = new Set(await git.listFiles({ fs, dir, gitdir }));
  const trackedDirs = new Set<string>();
  for (const file of tracked) {
    for (let i = file.indexOf('/'); i !== -1; i = file.indexOf('/', i + 1)) trackedDirs.add(file.slice(0, i));
  }
  const ctx: WalkContext = { fs, dir, gitdir, tracked, trackedDirs, out: [] };
  await walkDir(ctx, '');
  return ctx.out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

interface WalkContext {
  fs: SourceFs;
  dir: string;
  gitdir: string;
  tracked: Set<string>;
  trackedDirs: Set<string>;
  out: RevisionFile[];
}

async function walkDir(ctx: WalkContext, rel: string): Promise<void> {
  const names = await ctx.fs.promises.readdir(path.join(ctx.dir, rel));
  for (const name of names) {
    if (name === '.git') continue;
    const relPath = rel === '' ? name : `${rel}/${name}`;
    const abs = path.join(ctx.dir, relPath);
    const stat = await ctx.fs.promises.lstat(abs);
    if (stat.isDirectory()) {
      // Descend into an ignored directory only when it holds tracked files, as Git does.
      if (ctx.trackedDirs.has(relPath) || !(await ignored(ctx, `${relPath}/`))) await walkDir(ctx, relPath);
      continue;
    }
    if (!stat.isFile() && !stat.isSymbolicLink()) continue;
    if (!ctx.tracked.has(relPath) && (await ignored(ctx, relPath))) continue;
    if (stat.isSymbolicLink()) {
      const target = await ctx.fs.promises.readlink(abs, { encoding: 'buffer' });
      ctx.out.push({ path: relPath, type: 'symlink', content: new Uint8Array(target) });
    } else {
      const content = await ctx.fs.promises.readFile(abs);
      // Git records only the owner's execute bit.
      ctx.out.push({ path: relPath, type: stat.mode & 0o100 ? 'executable' : 'file', content: new Uint8Array(content) });
    }
  }
}

function ignored(ctx: WalkContext, filepath: string): Promise<boolean> {
  return git.isIgnored({ fs: ctx.fs, dir: ctx.dir, gitdir: ctx.gitdir, filepath });
}
