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
  /** File bytes; for a symlink, the link target as bytes. Empty when `unread` is set. */
  content: Uint8Array;
  /** Set when the source left the content unread because of a read limit (see ReadLimits). */
  unread?: UnreadFile;
}

export interface UnreadFile {
  /** The file's size in bytes, as the object header (or the file system) gave it. */
  size: number;
  /** Which limit: the file alone is larger than `limit`, or the revision's files add up to more than it. */
  over: 'file' | 'revision';
  limit: number;
}

/**
 * What a source reads of one revision, so no repository can make the controller hold more than this in
 * memory, whatever it commits: sizes are known before any content is read.
 */
export interface ReadLimits {
  /** A larger file is not read (load refuses it as FileTooLarge). */
  fileBytes: number;
  /** When the files within `fileBytes` add up to more, none is read (load refuses the revision as RevisionTooLarge). */
  revisionBytes: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = { fileBytes: 1024 * 1024, revisionBytes: 64 * 1024 * 1024 };

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
