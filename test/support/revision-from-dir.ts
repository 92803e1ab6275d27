/**
 * Test helper: a Revision built in memory from a folder on disk (a scenario's `repo/`), as if it had been
 * read from a commit. The commit id is a fixed fake unless given, so goldens do not depend on any Git state.
 *
 * Scenarios that differ only in a few documents share one site: a folder whose `.base` file names another
 * folder (relative to it) is that folder's files with its own on top, so each scenario holds only what it
 * changes (test/scenarios/_sites/).
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

const BASE_FILE = '.base';

function layerFiles(dir: string): RevisionFile[] {
  const own: RevisionFile[] = [];
  walk(dir, '', own);
  const basePath = join(dir, BASE_FILE);
  if (!existsSync(basePath)) return own;
  const byPath = new Map(layerFiles(resolve(dir, readFileSync(basePath, 'utf8').trim())).map((f) => [f.path, f]));
  for (const f of own) if (f.path !== BASE_FILE) byPath.set(f.path, f);
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function revisionFromDir(dir: string, info: Partial<Omit<Revision, 'files'>> = {}): Revision {
  const files = layerFiles(dir);
  return { source: 'scenario', ref: 'main', commit: FAKE_COMMIT, worktree: false, ...info, files };
}
