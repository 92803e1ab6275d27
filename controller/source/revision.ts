/**
 * An immutable snapshot of a site repository at one commit: what every later stage reads.
 * Files are taken from Git objects, never from a working tree (unless `worktree` says so), so a plan is
 * always tied to a commit a reviewer can look at.
 */
export interface RevisionFile {
  /** Repository-relative POSIX path, no leading slash. */
  path: string;
  /** Git's notion of the entry: regular file, executable file, or symbolic link. */
  type: 'file' | 'executable' | 'symlink';
  /** File bytes; for a symlink, the link target as bytes. */
  content: Uint8Array;
}

export interface Revision {
  /** Where it came from: a local path or a URL, as the operator gave it. */
  source: string;
  /** The ref asked for (branch, tag, or commit id). */
  ref: string;
  /** The resolved commit id (40 hex), or 'worktree' for uncommitted local files. */
  commit: string;
  /** True when read from an uncommitted working tree (`--worktree`): plans say so loudly. */
  worktree: boolean;
  files: RevisionFile[];
}
