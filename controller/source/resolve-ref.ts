import git from 'isomorphic-git';
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

/**
 * Turns what an operator wrote into one commit id. Order, so that the same string always means the same
 * thing: exact branch, then tag, then a full ref name, then a commit id or unique prefix (>= 4 hex
 * chars). A branch called `cafe` therefore wins over a commit starting with `cafe`, as in `git rev-parse`.
 * Annotated tags (and tags of tags) are peeled to the commit they point at.
 */
export async function resolveCommit(
  fs: SourceFs,
  gitdir: string,
  repo: string,
  ref: string | undefined,
  ns: RefNamespaces = LOCAL_NAMESPACES,
): Promise<string> {
  const oid = await resolveToObject(fs, gitdir, repo, ref, ns);
  return peelToCommit(fs, gitdir, repo, ref, oid);
}

async function resolveToObject(fs: SourceFs, gitdir: string, repo: string, ref: string | undefined, ns: RefNamespaces): Promise<string> {
  if (ref === undefined || ref === 'HEAD') {
    const head = (await tryRef(fs, gitdir, ns.head)) ?? (await tryRef(fs, gitdir, 'HEAD'));
    if (head === undefined) throw new SourceError('RefNotFound', repo, ref, 'HEAD does not point at a commit (empty repository?)');
    return head;
  }
  const candidates = [`${ns.branchPrefix}${ref}`, `refs/tags/${ref}`];
  if (ref.startsWith('refs/heads/')) candidates.push(`${ns.branchPrefix}${ref.slice('refs/heads/'.length)}`);
  if (ref.startsWith('refs/')) candidates.push(ref);
  for (const candidate of candidates) {
    const oid = await tryRef(fs, gitdir, candidate);
    if (oid !== undefined) return oid;
  }
  if (HEX.test(ref)) return expandCommitId(fs, gitdir, repo, ref);
  throw new SourceError('RefNotFound', repo, ref, `no branch, tag or commit named "${ref}"`);
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

async function expandCommitId(fs: SourceFs, gitdir: string, repo: string, ref: string): Promise<string> {
  const lower = ref.toLowerCase();
  try {
    if (lower.length === 40) {
      await git.readObject({ fs, gitdir, oid: lower, format: 'deflated' });
      return lower;
    }
    return await git.expandOid({ fs, gitdir, oid: lower });
  } catch (err) {
    if (isGitError(err, 'AmbiguousError')) {
      throw new SourceError('RefNotFound', repo, ref, `commit prefix "${ref}" is ambiguous; give more characters`, { cause: err });
    }
    if (isGitError(err, 'NotFoundError')) {
      throw new SourceError('RefNotFound', repo, ref, `no branch, tag or commit named "${ref}"`, { cause: err });
    }
    throw err;
  }
}

async function peelToCommit(fs: SourceFs, gitdir: string, repo: string, ref: string | undefined, start: string): Promise<string> {
  let oid = start;
  // A tag can point at a tag; the bound only protects against a corrupt, cyclic object store.
  for (let hops = 0; hops < 16; hops++) {
    const { type, object } = await git.readObject({ fs, gitdir, oid, format: 'parsed' });
    if (type === 'commit') return oid;
    if (type !== 'tag') {
      throw new SourceError('RefNotFound', repo, ref, `resolves to a ${type} (${oid}), not a commit`);
    }
    oid = (object as { object: string }).object;
  }
  throw new SourceError('RefNotFound', repo, ref, `tag chain from ${start} is too deep`);
}

export function isGitError(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
