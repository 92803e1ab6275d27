import git from 'isomorphic-git';
import type { RevisionFile } from './revision.js';
import type { SourceFs } from './source-fs.js';

/** Parallel reads overlap fs latency on loose objects; more than this just queues on libuv's pool. */
const READ_CONCURRENCY = 16;

interface BlobRef {
  path: string;
  type: RevisionFile['type'];
  oid: string;
}

/**
 * Reads every file of a commit straight from Git objects, so the result is exactly what was committed,
 * whatever the working tree holds. Submodule entries (mode 160000) are skipped: they name a commit in
 * another repository whose content is not here, and a site repository is not expected to use them.
 * Files are returned sorted by path so two reads of one commit are byte-for-byte equal.
 */
export async function readCommitFiles(fs: SourceFs, gitdir: string, commit: string): Promise<RevisionFile[]> {
  // isomorphic-git keeps parsed packfile indexes in this object; without sharing it, each object read
  // re-parses the pack index, which dominates the cost on a cloned (packed) repository.
  const cache = {};
  const blobs: BlobRef[] = [];
  await collect(fs, gitdir, cache, commit, '', blobs);
  blobs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const files: RevisionFile[] = new Array<RevisionFile>(blobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < blobs.length) {
      const i = next++;
      const blob = blobs[i]!;
      const { blob: content } = await git.readBlob({ fs, gitdir, oid: blob.oid, cache });
      files[i] = { path: blob.path, type: blob.type, content };
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, blobs.length) }, worker));
  return files;
}

async function collect(fs: SourceFs, gitdir: string, cache: object, oid: string, prefix: string, out: BlobRef[]): Promise<void> {
  const { tree } = await git.readTree({ fs, gitdir, oid, cache });
  const subtrees: Promise<void>[] = [];
  for (const entry of tree) {
    const path = prefix + entry.path;
    switch (entry.mode) {
      case '040000':
        subtrees.push(collect(fs, gitdir, cache, entry.oid, `${path}/`, out));
        break;
      case '100755':
        out.push({ path, type: 'executable', oid: entry.oid });
        break;
      case '120000':
        out.push({ path, type: 'symlink', oid: entry.oid });
        break;
      case '160000':
        break;
      default:
        // 100644, and the legacy 100664 some old tools wrote, are plain files.
        out.push({ path, type: 'file', oid: entry.oid });
    }
  }
  await Promise.all(subtrees);
}
