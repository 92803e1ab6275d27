/**
 * The one policy for paths inside a repository, used by load (templates, CA files, symbolic links) and by
 * resolve (finding the template text load read). Repository paths are POSIX, relative, without `.` or `..`
 * segments once normalised. Anything that would climb above the repository root is refused rather than
 * clamped: clamping would silently read another file.
 */
export function joinRepoPath(dir: string, relative: string): string | null {
  if (relative.startsWith('/')) return null;
  const out = dir === '' ? [] : dir.split('/');
  for (const seg of relative.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(seg);
  }
  return out.join('/');
}

export function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** Where a module's `template:` (or a CA's `certificateFile:`) points: relative to the document's directory. */
export function referencedFilePath(documentFile: string, relative: string): string | null {
  return joinRepoPath(dirname(documentFile), relative);
}
