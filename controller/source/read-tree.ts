import { withObjectStore } from './git-objects.js';
import { unreadFiles } from './read-limits.js';
import type { ReadLimits, RevisionFile } from './revision.js';
import { byCodeUnit } from '../model/order.js';

const TYPES: Readonly<Record<string, RevisionFile['type']>> = { '100755': 'executable', '120000': 'symlink' };

/**
 * Reads every file of a commit straight from Git objects, so the result is exactly what was committed,
 * whatever the working tree holds. Sizes come first, from the object headers; only files within `limits`
 * are read, so a huge blob costs nothing but its header. Submodule entries are skipped: they name a commit
 * in another repository whose content is not here. Files are sorted by path so two reads of one commit
 * are byte-for-byte equal.
 */
export async function readCommitFiles(gitdir: string, commit: string, limits: ReadLimits): Promise<RevisionFile[]> {
  return withObjectStore(gitdir, async (store) => {
    const blobs = (await store.listBlobs(commit)).sort((a, b) => byCodeUnit(a.path, b.path));
    const unread = unreadFiles(
      blobs.map((b) => b.size),
      limits,
    );
    const wanted = blobs.filter((_, i) => unread[i] === null);
    const contents = await store.readBlobs(wanted.map((b) => b.oid));
    let next = 0;
    return blobs.map((blob, i): RevisionFile => {
      // 100644, and the legacy 100664 some old tools wrote (git shows it as 100644), are plain files.
      const file: RevisionFile = { path: blob.path, type: TYPES[blob.mode] ?? 'file', content: new Uint8Array(0) };
      const why = unread[i];
      if (why) file.unread = why;
      else file.content = contents[next++]!;
      return file;
    });
  });
}
