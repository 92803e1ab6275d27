import git, { type ServerRef } from 'isomorphic-git';
import type { Remote } from '../source/git-source.js';
import { SourceError } from '../source/source-error.js';

const FULL_COMMIT_ID = /^[0-9a-f]{40}$/i;
const HEX = /^[0-9a-f]{4,40}$/i;

/**
 * What a poll asks a remote each round: the object its ref points at now, read from the ref advertisement
 * alone (`git ls-remote`), so an idle poll transfers no objects and writes nothing to the fetch cache.
 * The daemon fetches only when the answer moved.
 *
 * The ref is matched in the order `resolveCommit` uses (exact branch, tag, full ref name), so the poll
 * watches the ref the reconcile reads. An annotated tag gives its peeled commit where the server
 * advertises it (HTTP does; over SSH the tag object's own id, which moves exactly when the tag does). A
 * commit id never moves: it answers itself without asking the server. `undefined`: no such ref (deleted).
 */
export function remoteRefResolver(remote: Remote, ref: string | undefined): () => Promise<string | undefined> {
  return async () => {
    if (ref !== undefined && FULL_COMMIT_ID.test(ref)) return ref.toLowerCase();
    const found = pick(await listRefs(remote, ref), ref);
    // A branch or tag named like hex wins, as in resolveCommit; otherwise a commit prefix, which never moves.
    if (found === undefined && ref !== undefined && HEX.test(ref)) return ref.toLowerCase();
    return found;
  };
}

async function listRefs(remote: Remote, ref: string | undefined): Promise<ServerRef[]> {
  try {
    return await remote.connect(({ http, url }) => git.listServerRefs({ http, url, protocolVersion: 1, symrefs: true, peelTags: true }));
  } catch (err) {
    if (err instanceof SourceError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new SourceError('FetchFailed', { repo: remote.url, ref }, `listing the remote's refs failed: ${detail}`, err);
  }
}

function candidates(ref: string | undefined): string[] {
  if (ref === undefined || ref === 'HEAD') return ['HEAD'];
  const names = [`refs/heads/${ref}`, `refs/tags/${ref}`];
  if (ref.startsWith('refs/')) names.push(ref);
  return names;
}

function pick(refs: readonly ServerRef[], ref: string | undefined): string | undefined {
  const byName = new Map(refs.map((r) => [r.ref, r]));
  for (const name of candidates(ref)) {
    const found = byName.get(name);
    if (found) return found.peeled ?? found.oid;
  }
  return undefined;
}
