/**
 * A repository behind SSH (ssh:// or user@host:path) as a Remote for the fetch cache. Its server is
 * trusted only by the keys the controller's known_hosts pins for it, never on first use and never by
 * anything in the repository; the key that logs in comes from the secret store. Both are read when a
 * fetch is needed, so an edited known_hosts or a rotated key applies to the next fetch.
 *
 * Loaded only when an SSH remote is read: it is what pulls in ssh2.
 */
import { userInfo } from 'node:os';
import { blobType, fingerprint } from '../transport/host-key.js';
import { hostKeys, parseKnownHosts, type HostKeys, type KnownHosts } from '../transport/known-hosts.js';
import { connectGitServer, ConnectFailed, type GitServerConnection } from './git-server-connection.js';
import type { Remote } from './remote-cache.js';
import type { SshRemote } from './repo-location.js';
import { SourceError, type SourceErrorCode } from './source-error.js';
import { isNotFound, type SourceFs } from './source-fs.js';
import { UPLOAD_PACK_URL, UploadPackFailed, uploadPackHttp } from './upload-pack-over-ssh.js';

/** How the controller reaches Git servers over SSH: its configuration, not the repository's. */
export interface GitSshSettings {
  /** known_hosts file (OpenSSH format) with the Git servers' host keys. */
  knownHostsFile: string;
  /** The private key that logs in to Git servers, e.g. from the secret store; asked for only when a fetch needs it. */
  privateKey(): Promise<Buffer>;
  /** TCP connect, key exchange and authentication. Default 15000. */
  connectTimeoutMs?: number;
}

export interface SshRemoteOptions {
  /** The repository as the operator wrote it, for messages. */
  repo: string;
  ref: string | undefined;
  remote: SshRemote;
  settings: GitSshSettings | undefined;
  fs: SourceFs;
}

export function sshRemote(opts: SshRemoteOptions): Remote {
  // As ssh does when the URL names no user.
  const user = opts.remote.user ?? userInfo().username;
  const { host, port, path } = opts.remote;
  return {
    id: JSON.stringify(['ssh', user, host, port, path]),
    url: opts.repo,
    connect: async (task) => {
      const connection = await connect(opts, user);
      try {
        return await task({ http: uploadPackHttp(connection.exec, path), url: UPLOAD_PACK_URL });
      } catch (err) {
        if (err instanceof UploadPackFailed) throw new SourceError(err.code, { repo: opts.repo, ref: opts.ref }, err.message, err);
        throw err;
      } finally {
        await connection.close();
      }
    },
  };
}

async function connect(opts: SshRemoteOptions, user: string): Promise<GitServerConnection> {
  const fail = (code: SourceErrorCode, detail: string, cause?: unknown): SourceError => new SourceError(code, { repo: opts.repo, ref: opts.ref }, detail, cause);
  if (!opts.settings) throw fail('CredentialsMissing', 'no known_hosts file and key for Git over SSH were given');
  const settings = opts.settings;
  const known = await readKnownHosts(opts.fs, settings.knownHostsFile).catch((err: Error) => {
    throw fail('HostKeyUnknown', `cannot read known_hosts ${settings.knownHostsFile}: ${err.message}; Git servers are trusted only by keys pinned there`, err);
  });
  const keys = hostKeys(known, opts.remote.host, opts.remote.port);
  if (keys.pinned.length === 0) throw fail('HostKeyUnknown', unknownHost(opts, known, keys));
  const privateKey = await settings.privateKey().catch((err: Error) => {
    throw fail('CredentialsMissing', `the SSH key for Git servers: ${err.message}`, err);
  });
  try {
    return await connectGitServer({
      host: opts.remote.host,
      port: opts.remote.port,
      user,
      pinned: keys.pinned.map((e) => e.key),
      revoked: keys.revoked.map((e) => e.key),
      privateKey,
      timeoutMs: settings.connectTimeoutMs ?? 15_000,
    });
  } catch (err) {
    if (!(err instanceof ConnectFailed)) throw err;
    throw fail(...refusal(err, known, keys, user), err);
  }
}

async function readKnownHosts(fs: SourceFs, file: string): Promise<KnownHosts> {
  try {
    return parseKnownHosts(await fs.promises.readFile(file, 'utf8'), file);
  } catch (err) {
    if (isNotFound(err)) throw new Error('no such file');
    throw err;
  }
}

/** Never trusted on first use: the message says what to add, not what the server offers. */
function unknownHost(opts: SshRemoteOptions, known: KnownHosts, keys: HostKeys): string {
  const parts = [
    `Git server ${keys.name} has no key in ${known.file}; refusing to connect (add its key as a line "${keys.name} <type> <key>", checked against the fingerprints the hosting service publishes)`,
  ];
  if (keys.revoked.length > 0) parts.push(`only @revoked keys are listed for it (line ${lines(keys.revoked)})`);
  if (keys.certAuthorities.length > 0) parts.push(`@cert-authority lines (line ${lines(keys.certAuthorities)}) are not used: host certificates are not supported`);
  if (known.unreadable.length > 0) parts.push(`unreadable lines in ${known.file}: ${known.unreadable.map((u) => `line ${u.line}: ${u.reason}`).join('; ')}`);
  // The one way a local path is mistaken for a host, and the fix.
  if (opts.remote.scpLike) parts.push(`"${opts.repo}" reads as host:path, as git reads a ':' before any '/'; write ./${opts.repo} for a local path`);
  return parts.join('; ');
}

function refusal(err: ConnectFailed, known: KnownHosts, keys: HostKeys, user: string): [SourceErrorCode, string] {
  const shown = err.presented === undefined ? 'a key' : describeKey(err.presented);
  switch (err.reason) {
    case 'host-key':
      return ['HostKeyMismatch', `host key mismatch for Git server ${keys.name}: ${known.file} pins ${keys.pinned.map((e) => describeKey(e.key.blob)).join(', ')} (line ${lines(keys.pinned)}), the server presented ${shown}; connection refused before authentication`];
    case 'revoked':
      return ['HostKeyRevoked', `Git server ${keys.name} presented ${shown}, which ${known.file} marks @revoked (line ${lines(keys.revoked)}); connection refused before authentication`];
    case 'key':
      return ['CredentialsInvalid', `the SSH key for Git servers cannot be used: ${err.message}`];
    case 'auth':
      return ['AuthFailed', `Git server ${keys.name} did not accept the SSH key for user ${user}: ${err.message}`];
    case 'network':
      return ['FetchFailed', `cannot reach Git server ${keys.name}: ${err.message}`];
  }
}

function describeKey(blob: Buffer): string {
  return `${blobType(blob) ?? 'unknown'} ${fingerprint(blob)}`;
}

function lines(entries: readonly { line: number }[]): string {
  return entries.map((e) => e.line).join(', ');
}
