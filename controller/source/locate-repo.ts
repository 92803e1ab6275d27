import * as path from 'node:path';
import { SourceError } from './source-error.js';
import { exists, type SourceFs } from './source-fs.js';

export interface LocalRepo {
  /** The directory holding objects/ and refs/. */
  gitdir: string;
  /** The working directory, absent for a bare repository. */
  dir?: string;
}

/**
 * Finds the git directory of an operator-given local path. The path must be the repository root (or a
 * bare repository): searching upwards would silently read a parent repository when a site folder is
 * mistyped, which is worse than an error.
 */
export async function locateRepo(fs: SourceFs, repo: string, ref: string | undefined): Promise<LocalRepo> {
  const root = path.resolve(repo);
  if (!(await exists(fs, root))) throw new SourceError('RepoNotFound', { repo, ref }, `no such path ${root}`);

  const dotGit = path.join(root, '.git');
  if (await exists(fs, dotGit)) {
    const stat = await fs.promises.stat(dotGit);
    if (stat.isDirectory()) return { gitdir: dotGit, dir: root };
    // Linked worktrees and submodules have a `.git` file pointing at the real git directory.
    const text = (await fs.promises.readFile(dotGit, 'utf8')).trim();
    const match = /^gitdir:\s*(.+)$/m.exec(text);
    if (match?.[1]) return { gitdir: path.resolve(root, match[1].trim()), dir: root };
    throw new SourceError('NotARepository', { repo, ref }, `${dotGit} is neither a directory nor a gitdir link`);
  }

  if (await looksLikeGitdir(fs, root)) return { gitdir: root };
  throw new SourceError('NotARepository', { repo, ref }, `${root} is not a git repository (no .git, and not a bare repository)`);
}

async function looksLikeGitdir(fs: SourceFs, dir: string): Promise<boolean> {
  const parts = await Promise.all(['HEAD', 'objects', 'refs'].map((p) => exists(fs, path.join(dir, p))));
  return parts.every(Boolean);
}
