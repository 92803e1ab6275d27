/**
 * Why reading a revision failed, as an UnderlayError (model/errors.ts) with a stable code callers can branch
 * on (retry a fetch, report a bad ref to the operator) without parsing messages. FetchFailed and ReadFailed
 * (the worktree changed under the read) are transient: retried as they are. The others need the
 * repository, the ref or the controller's configuration (known_hosts, the key) changed. */
import { UnderlayError } from '../model/errors.js';

export type SourceErrorCode =
  | 'RepoNotFound'
  | 'RefNotFound'
  | 'FetchFailed'
  | 'NotARepository'
  | 'ReadFailed'
  | 'InvalidRepoUrl'
  | 'HostKeyUnknown'
  | 'HostKeyMismatch'
  | 'HostKeyRevoked'
  | 'CredentialsMissing'
  | 'CredentialsInvalid'
  | 'AuthFailed';

export class SourceError extends UnderlayError<{ repo: string; ref: string | undefined }> {
  declare readonly code: SourceErrorCode;

  /** The repository is kept with any URL credentials masked, because errors end up in logs and status. */
  constructor(code: SourceErrorCode, { repo, ref }: { repo: string; ref: string | undefined }, detail: string, cause?: unknown) {
    super({ code, message: `${redactUrl(repo)} @ ${ref ?? 'HEAD'}: ${detail}`, data: { repo: redactUrl(repo), ref }, cause });
  }
}

/**
 * Credentials embedded in a URL must not end up in logs or plan output: all of an http(s) URL's user part
 * (a token is often written as the user), and in any other URL a user part with a password.
 */
export function redactUrl(repo: string): string {
  return repo.replace(/^(https?:\/\/)[^/@]*@/i, '$1***@').replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*:[^/@]*@/i, '$1***@');
}
