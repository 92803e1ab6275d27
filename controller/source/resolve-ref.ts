import git from 'isomorphic-git';
import { withObjectStore } from './git-objects.js';
import { SourceError } from './source-error.js';
import type { SourceFs } from './source-fs.js';

export interface RefNamespaces {
  /** Where branches live: `refs/heads/` in a local repository, `refs/remotes/origin/` in a fetch cache. */
  branchPrefix: string;
  /** The symbolic ref that names the default branch. */
  head: string;
}

export const LOCAL_NAMESPACES: RefNamespaces = { branchPrefix: 'refs/heads/', head: 'HEAD' };

const HEX = /^[0-9a-f]{4,40}$/i;

/** A ref to resolve, and the repository it is resolved in (one object of named parameters, as isomorphic-git's). */
export interface CommitLookup {
  fs: SourceFs;
  gitdir: string;
  /** The repository as the operator named it: errors say it. */
  repo: string;
  ref: string | undefined;
  /** LOCAL_NAMESPACES unless given. */
  namespaces?: RefNamespaces;
}

/**
 * Turns what an operator wrote into one commit id. Order, so that the same string always means the same
 * thing: exact branch, then tag, then a full ref name, then a commit id or unique prefix (>= 4 hex
 * chars). A branch called `cafe` therefore wins over a commit starting with `cafe`, as in `git rev-parse`.
 * Annotated tags (and tags of tags) are peeled to the commit they point at.
 */
export async function resolveCommit(lookup: CommitLookup): Promise<string> {
  const oid = await resolveToObject(lookup);
  return peelToCommit(lookup.gitdir, lookup.repo, lookup.ref, oid);
}

async function resolveToObject({ fs, gitdir, repo, ref, namespaces: ns = LOCAL_NAMESPACES }: CommitLookup): Promise<string> {
  if (ref === undefined || ref === 'HEAD') {
    const head = (await tryRef(fs, gitdir, ns.head)) ?? (await tryRef(fs, gitdir, 'HEAD'));
    if (head === undefined) throw new SourceError('RefNotFound', { repo, ref }, 'HEAD does not point at a commit (empty repository?)');
    return head;
  }
  const candidates = [`${ns.branchPrefix}${ref}`, `refs/tags/${ref}`];
  if (ref.startsWith('refs/heads/')) candidates.push(`${ns.branchPrefix}${ref.slice('refs/heads/'.length)}`);
  if (ref.startsWith('refs/')) candidates.push(ref);
  for (const candidate of candidates) {
    const oid = await tryRef(fs, gitdir, candidate);
    if (oid !== undefined) return oid;
  }
  if (HEX.test(ref)) return expandCommitId(gitdir, repo, ref);
  throw new SourceError('RefNotFound', { repo, ref }, `no branch, tag or commit named "${ref}"`);
}

async function tryRef(fs: SourceFs, gitdir: string, ref: string): Promise<string | undefined> {
  try {
    // isomorphic-git's resolveRef also tries refs/heads/<x> etc.; callers pass full names so the
    // precedence above stays ours, and the result is checked to be a real object id.
    const oid = await git.resolveRef({ fs, gitdir, ref });
    return /^[0-9a-f]{40}$/.test(oid) ? oid : undefined;
  } catch (err) {
    if (isGitError(err, 'NotFoundError')) return undefined;
    throw err;
  }
}

/** Object lookups go to git's headers: isomorphic-git would load a whole pack file to read one commit. */
async function expandCommitId(gitdir: string, repo: string, ref: string): Promise<string> {
  const [info] = await withObjectStore(gitdir, (store) => store.describe([ref.toLowerCase()]));
  if (info?.found) return info.oid;
  if (info?.reason === 'ambiguous') throw new SourceError('RefNotFound', { repo, ref }, `commit prefix "${ref}" is ambiguous; give more characters`);
  throw new SourceError('RefNotFound', { repo, ref }, `no branch, tag or commit named "${ref}"`);
}

/** Annotated tags, and tags of tags, are peeled by git (`^{commit}`); anything else is not a commit. */
async function peelToCommit(gitdir: string, repo: string, ref: string | undefined, start: string): Promise<string> {
  const [object, commit] = await withObjectStore(gitdir, (store) => store.describe([start, `${start}^{commit}`]));
  if (commit?.found) return commit.oid;
  if (!object?.found) throw new SourceError('RefNotFound', { repo, ref }, `points at ${start}, which is not in the repository`);
  throw new SourceError('RefNotFound', { repo, ref }, `resolves to a ${object.type} (${object.oid}), not a commit`);
}

export function isGitError(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
