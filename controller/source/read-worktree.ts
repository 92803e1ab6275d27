import * as path from 'node:path';
import git from 'isomorphic-git';
import { unreadFiles } from './read-limits.js';
import type { ReadLimits, RevisionFile } from './revision.js';
import type { SourceFs } from './source-fs.js';
import { byCodeUnit } from '../model/order.js';

/**
 * Reads the uncommitted working directory as Git would see it on `git add -A`: tracked files always,
 * untracked files unless `.gitignore`/`.git/info/exclude` ignores them, never anything inside `.git`.
 * This is for trying a change before committing it; callers must label the result as uncommitted.
 * As for a commit, sizes come first (from lstat) and only files within `limits` are read.
 * Limits: the user's global excludes file (core.excludesFile) is not consulted, and a nested repository
 * is read as plain files rather than skipped as a submodule would be, except for its `.git`.
 */
export async function readWorktreeFiles(fs: SourceFs, dir: string, gitdir: string, limits: ReadLimits): Promise<RevisionFile[]> {
  const tracked = new Set(await git.listFiles({ fs, dir, gitdir }));
  const trackedDirs = new Set<string>();
  for (const file of tracked) {
    for (let i = file.indexOf('/'); i !== -1; i = file.indexOf('/', i + 1)) trackedDirs.add(file.slice(0, i));
  }
  const ctx: WalkContext = { fs, dir, gitdir, tracked, trackedDirs, out: [] };
  await walkDir(ctx, '');
  const entries = ctx.out.sort((a, b) => byCodeUnit(a.path, b.path));
  const unread = unreadFiles(
    entries.map((e) => e.size),
    limits,
  );
  const files = entries.map((entry, i): RevisionFile => {
    const file: RevisionFile = { path: entry.path, type: entry.type, content: new Uint8Array(0) };
    const why = unread[i];
    if (why) file.unread = why;
    return file;
  });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      if (!files[i]!.unread) files[i]!.content = await readEntry(fs, path.join(dir, entries[i]!.path), entries[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, worker));
  return files;
}

/** Parallel reads overlap file system latency; more than this just queues on libuv's pool. */
const READ_CONCURRENCY = 16;

interface WorktreeEntry {
  path: string;
  type: RevisionFile['type'];
  /** From lstat: for a symbolic link, the length of its target. */
  size: number;
}

interface WalkContext {
  fs: SourceFs;
  dir: string;
  gitdir: string;
  tracked: Set<string>;
  trackedDirs: Set<string>;
  out: WorktreeEntry[];
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
    // Git records only the owner's execute bit.
    const type = stat.isSymbolicLink() ? 'symlink' : stat.mode & 0o100 ? 'executable' : 'file';
    ctx.out.push({ path: relPath, type, size: stat.size });
  }
}

/**
 * Reads no more than lstat said the file holds, plus one byte to notice a file that grew since: then it
 * is refused rather than read past what the limits allowed for it.
 */
async function readEntry(fs: SourceFs, abs: string, entry: WorktreeEntry): Promise<Uint8Array> {
  if (entry.type === 'symlink') return new Uint8Array(await fs.promises.readlink(abs, { encoding: 'buffer' }));
  const handle = await fs.promises.open(abs, 'r');
  try {
    const buffer = new Uint8Array(entry.size + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > entry.size) throw new WorktreeChanged(`${entry.path} grew while it was being read; read the worktree again`);
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** The working tree changed under the read: trying again is the answer. */
export class WorktreeChanged extends Error {
  override readonly name = 'WorktreeChanged';
}

function ignored(ctx: WalkContext, filepath: string): Promise<boolean> {
  return git.isIgnored({ fs: ctx.fs, dir: ctx.dir, gitdir: ctx.gitdir, filepath });
}
