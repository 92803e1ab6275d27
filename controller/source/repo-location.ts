/**
 * What a `--repo` string names: a local repository, an http(s) URL, or a repository behind SSH. Decided by
 * git's own rules (connect.c `parse_connect_url`, url.c `url_is_local_not_ssh`), so a string reaches the
 * same repository here as with `git fetch`: a `scheme://` URL by its scheme; else an scp-like
 * `[user@]host:path` when there is a ':' before any '/'; else a local path. `./odd:name` is therefore a
 * local path and `odd:name` is host `odd`. Which it is never depends on what exists on the disk (only
 * `git clone` looks for a local directory first), so one string always means one thing.
 *
 * Where git would pass something odd on to ssh (an empty host, a password, a port out of range, a host or
 * path that starts with '-'), this refuses it instead. Pure.
 */

export interface SshRemote {
  /** As written; undefined when the string names none (the login is then the local user's name, as with ssh). */
  user: string | undefined;
  /** Lower-cased as ssh does before looking it up in known_hosts; an IPv6 address without its brackets. */
  host: string;
  port: number;
  /** What git asks git-upload-pack for: absolute, relative to the login's home directory, or `~user/...`. */
  path: string;
  /** Written as `[user@]host:path` rather than `ssh://`. */
  scpLike: boolean;
}

export type RepoLocation =
  | { kind: 'local'; path: string }
  | { kind: 'http'; url: string }
  | { kind: 'ssh'; remote: SshRemote }
  | { kind: 'invalid'; reason: string };

const SCHEME = /^([A-Za-z0-9][A-Za-z0-9+.-]*):\/\//;
const SSH_SCHEMES = new Set(['ssh', 'git+ssh', 'ssh+git']);
const FORMS = 'a local path, an http(s):// URL, ssh://[user@]host[:port]/path or [user@]host:path';

export function parseRepoLocation(repo: string): RepoLocation {
  const scheme = SCHEME.exec(repo);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    if (name === 'http' || name === 'https') return { kind: 'http', url: repo };
    if (!SSH_SCHEMES.has(name)) return invalid(`unsupported URL scheme ${name}:// (give ${FORMS})`);
    return parseSshUrl(urlDecode(repo.slice(scheme[0].length)));
  }
  const colon = repo.indexOf(':');
  const slash = repo.indexOf('/');
  if (colon === -1 || (slash !== -1 && slash < colon)) return { kind: 'local', path: repo };
  return parseScpLike(repo);
}

/** `ssh://[user@]host[:port]/path`; also `[user@host:port]` and `user@[host]:port` as git accepts them. */
function parseSshUrl(rest: string): RepoLocation {
  const slash = rest.indexOf('/');
  if (slash === -1) return invalid('no path after the host (ssh://[user@]host[:port]/path)');
  const authority = splitAuthority(rest.slice(0, slash), true);
  if ('reason' in authority) return invalid(authority.reason);
  return remote(authority, tildePath(rest.slice(slash)), false);
}

/** `[user@]host:path`, `[user@host:port]:path`, `user@[host]:path`. */
function parseScpLike(repo: string): RepoLocation {
  const end = bracketEnd(repo);
  const colon = repo.indexOf(':', end);
  // A bracketed host must be followed by the ':' directly; git would silently drop what lies between.
  if (end > 0 && colon !== end) return invalid(`expected ':' right after "${repo.slice(0, end)}"`);
  const authority = splitAuthority(repo.slice(0, colon), false);
  if ('reason' in authority) return invalid(authority.reason);
  return remote(authority, tildePath(repo.slice(colon + 1)), true);
}

interface Authority {
  user: string | undefined;
  host: string;
  port: number | undefined;
}

/** Where a `[...]` at the start (or right after `user@`) closes, past the ']'; 0 when there is none. */
function bracketEnd(s: string): number {
  const at = s.indexOf('@[');
  const start = at === -1 ? 0 : at + 1;
  if (s[start] !== '[') return 0;
  const close = s.indexOf(']', start);
  return close === -1 ? 0 : close + 1;
}

function splitAuthority(text: string, portAllowed: boolean): Authority | { reason: string } {
  const end = bracketEnd(text);
  if (end > 0) {
    const open = text.indexOf('[');
    const inner = text.slice(open + 1, end - 1);
    const after = text.slice(end);
    if (after !== '' && !(portAllowed && after.startsWith(':'))) return { reason: `unexpected "${after}" after "${text.slice(0, end)}"` };
    // `[user@host:port]` carries user and port inside; `user@[host]:port` outside.
    const outerUser = open > 0 ? text.slice(0, open - 1) : undefined;
    const { user, hostPort } = outerUser === undefined ? splitUser(inner) : { user: outerUser, hostPort: inner };
    const inside = firstColonPort(hostPort);
    if (inside.port !== undefined && after !== '') return { reason: `two ports in "${text}"` };
    return checked({ user, host: inside.host, port: after === '' ? inside.port : portOf(after.slice(1)) }, true);
  }
  const { user, hostPort } = splitUser(text);
  if (!portAllowed) return checked({ user, host: hostPort, port: undefined }, false);
  const colon = hostPort.indexOf(':');
  if (colon === -1) return checked({ user, host: hostPort, port: undefined }, false);
  return checked({ user, host: hostPort.slice(0, colon), port: portOf(hostPort.slice(colon + 1)) }, false);
}

/** ssh itself splits `user@host` at the last '@'. */
function splitUser(text: string): { user: string | undefined; hostPort: string } {
  const at = text.lastIndexOf('@');
  return at === -1 ? { user: undefined, hostPort: text } : { user: text.slice(0, at), hostPort: text.slice(at + 1) };
}

/** Inside brackets git takes a port after the first ':' only when all of the rest is digits, so `[::1]` stays a host. */
function firstColonPort(hostPort: string): { host: string; port: number | undefined | null } {
  const colon = hostPort.indexOf(':');
  if (colon === -1 || !/^\d+$/.test(hostPort.slice(colon + 1))) return { host: hostPort, port: undefined };
  return { host: hostPort.slice(0, colon), port: portOf(hostPort.slice(colon + 1)) };
}

/** undefined: none given (`host:` included, as git allows); null: not a port. */
function portOf(text: string): number | undefined | null {
  if (text === '') return undefined;
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  return port >= 1 && port <= 65535 ? port : null;
}

const BAD_CHAR = /[\s\x00-\x1f\x7f@/[\]]/;

function checked(a: { user: string | undefined; host: string; port: number | undefined | null }, bracketed: boolean): Authority | { reason: string } {
  if (a.port === null) return { reason: 'the port is not a number from 1 to 65535' };
  if (a.host === '') return { reason: 'no host' };
  // A leading '-' would be an option to an ssh command line; git refuses it as a "strange hostname".
  if (a.host.startsWith('-') || BAD_CHAR.test(a.host) || (!bracketed && a.host.includes(':'))) return { reason: `"${a.host}" is not a host name` };
  if (a.user !== undefined) {
    if (a.user.includes(':')) return { reason: 'an SSH URL carries no password: the key comes from the controller\'s secret store' };
    if (a.user === '' || a.user.startsWith('-') || /[\s\x00-\x1f\x7f]/.test(a.user)) return { reason: `"${a.user}" is not a user name` };
  }
  return { user: a.user, host: a.host.toLowerCase(), port: a.port };
}

/**
 * git drops the first character of the path when the second is '~', in both forms, so that
 * `ssh://host/~user/repo` asks for `~user/repo` (and, by the same rule, `host:a~b` for `~b`).
 */
function tildePath(path: string): string {
  return path[1] === '~' ? path.slice(1) : path;
}

function remote(a: Authority, path: string, scpLike: boolean): RepoLocation {
  if (path === '') return invalid('no path after the host');
  if (path.startsWith('-')) return invalid(`"${path}" is not a repository path (it would read as an option)`);
  if (/[\x00-\x1f\x7f]/.test(path)) return invalid('the path contains control characters');
  return { kind: 'ssh', remote: { user: a.user, host: a.host, port: a.port ?? 22, path, scpLike } };
}

function invalid(reason: string): RepoLocation {
  return { kind: 'invalid', reason };
}

/** git's url_decode: %XX becomes that byte; a '%' not followed by two hex digits stays as it is. */
function urlDecode(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const hex = bytes[i] === 0x25 ? bytes.subarray(i + 1, i + 3).toString('latin1') : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(bytes[i]!);
    }
  }
  return Buffer.from(out).toString('utf8');
}
