import * as nodeFs from 'node:fs';

/**
 * The file system every source function reads through. It is node's promise API subset that both
 * isomorphic-git (which takes `fs` as a parameter) and our own worktree/cache code need, so tests and
 * embedders can swap in an in-memory fs the same way isomorphic-git lets them.
 */
export interface SourceFs {
  promises: Pick<
    typeof nodeFs.promises,
    'readFile' | 'writeFile' | 'unlink' | 'readdir' | 'mkdir' | 'rmdir' | 'rm' | 'stat' | 'lstat' | 'readlink' | 'symlink' | 'chmod' | 'rename' | 'open'
  >;
}

export const defaultFs: SourceFs = nodeFs;

/** isomorphic-git signals a missing path with node's ENOENT code, and so do we. */
export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}

export async function exists(fs: SourceFs, path: string): Promise<boolean> {
  try {
    await fs.promises.lstat(path);
    return true;
  } catch (err) {
    if (isNotFound(err) || (err as { code?: unknown }).code === 'ENOTDIR') return false;
    throw err;
  }
}
