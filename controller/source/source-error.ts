/**
 * Why reading a revision failed, as a stable code callers can branch on (retry a fetch, report a bad ref
 * to the operator) without parsing messages.
 */
export type SourceErrorCode = 'RepoNotFound' | 'RefNotFound' | 'FetchFailed' | 'NotARepository' | 'ReadFailed';

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

/** Credentials embedded in an http(s) URL must not end up in logs or plan output. */
export function redactUrl(repo: string): string {
  return repo.replace(/^(https?:\/\/)[^/@]*@/i, '$1***@');
}
