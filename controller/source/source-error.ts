/**
 * Why reading a revision failed, as a stable code callers can branch on (retry a fetch, report a bad ref
 * to the operator) without parsing messages. FetchFailed is the only one worth retrying as it is: the
 * others need the repository, the ref or the controller's configuration (known_hosts, the key) changed.
 */
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

export class SourceError extends Error {
  override readonly name = 'SourceError';
  readonly code: SourceErrorCode;
  /** The repository as given, with any URL credentials masked, because errors end up in logs and status. */
  readonly repo: string;
  readonly ref: string | undefined;

  constructor(code: SourceErrorCode, repo: string, ref: string | undefined, detail: string, options?: { cause?: unknown }) {
    super(`${code}: ${redactUrl(repo)} @ ${ref ?? 'HEAD'}: ${detail}`, options);
    this.code = code;
    this.repo = redactUrl(repo);
    this.ref = ref;
  }
}

/**
 * Credentials embedded in a URL must not end up in logs or plan output: all of an http(s) URL's user part
 * (a token is often written as the user), and in any other URL a user part with a password.
 */
export function redactUrl(repo: string): string {
  return repo.replace(/^(https?:\/\/)[^/@]*@/i, '$1***@').replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*:[^/@]*@/i, '$1***@');
}
