/**
 * Test helper: a Revision built in memory from a folder on disk (a scenario's `repo/`), as if it had been
 * read from a commit. The commit id is a fixed fake unless given, so goldens do not depend on any Git state.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Revision, RevisionFile } from '../../controller/source/revision.js';

export const FAKE_COMMIT = '0'.repeat(40);

function walk(root: string, dir: string, out: RevisionFile[]): void {
  for (const entry of readdirSync(join(root, dir)).sort()) {
    const rel = dir ? `${dir}/${entry}` : entry;
    const abs = join(root, rel);
    const stat = lstatSync(abs);
    if (stat.isDirectory()) walk(root, rel, out);
    else if (stat.isSymbolicLink()) out.push({ path: rel, type: 'symlink', content: new TextEncoder().encode(readlinkSync(abs)) });
    else out.push({ path: rel, type: stat.mode & 0o111 ? 'executable' : 'file', content: new Uint8Array(readFileSync(abs)) });
  }
}

export function revisionFromDir(dir: string, info: Partial<Omit<Revision, 'files'>> = {}): Revision {
  const files: RevisionFile[] = [];
  walk(dir, '', files);
  return { source: 'scenario', ref: 'main', commit: FAKE_COMMIT, worktree: false, ...info, files };
}
