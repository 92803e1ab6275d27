/**
 * One SSH connection to a Git server, trusted only by host keys the controller's configuration pins
 * (known_hosts), for the exec channels Git runs over. Apart from the node transport because the trust
 * differs: a node has one key pinned in Git, a Git server any of several keys in known_hosts, some of them
 * perhaps revoked; and a Git channel is a byte stream both ways, not a command whose output is collected.
 */
import ssh2, { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { hostKeyAlgorithms, type HostKey } from '../transport/host-key.js';

export interface GitServer {
  host: string;
  port: number;
  user: string;
  /** Keys the server may present. */
  pinned: readonly HostKey[];
  /** Keys it must not present, pinned or not. */
  revoked: readonly HostKey[];
  /** The private key, OpenSSH or PEM, unencrypted. */
  privateKey: Buffer;
  /** TCP connect, key exchange and authentication together. */
  timeoutMs: number;
}

export interface GitServerConnection {
  /** Opens an exec channel running `command` as the server's shell receives it. */
  exec(command: string): Promise<RemoteCommand>;
  close(): Promise<void>;
}

export interface RemoteCommand {
  /** The command's standard input (write, end) and output (read). */
  channel: ClientChannel;
  /** Settles once the channel has closed. */
  ended: Promise<CommandEnd>;
}

export interface CommandEnd {
  /** The exit code, the signal that killed it, or undefined when the server said neither. */
  exit: number | string | undefined;
  /** The start of what it wrote to standard error. */
  stderr: string;
}

/**
 * Why no connection was made: `host-key` (a key not pinned, in `presented`), `revoked` (a revoked key),
 * `key` (our private key unusable), `auth` (the server refused it), `network` (anything else).
 */
export class ConnectFailed extends Error {
  constructor(
    readonly reason: 'host-key' | 'revoked' | 'key' | 'auth' | 'network',
    message: string,
    readonly presented?: Buffer,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConnectFailed';
  }
}

/** A dead server or network is noticed after this many seconds of silence during a fetch. */
const KEEPALIVE = { keepaliveInterval: 5_000, keepaliveCountMax: 3 };

export function connectGitServer(server: GitServer): Promise<GitServerConnection> {
  // ssh2's CommonJS exports: Node finds Client by name, not utils.
  const parsed = ssh2.utils.parseKey(server.privateKey);
  if (parsed instanceof Error) return Promise.reject(new ConnectFailed('key', parsed.message, undefined, { cause: parsed }));
  return new Promise((resolve, reject) => {
    const client = new Client();
    let refused: ConnectFailed | undefined;
    let settled = false;
    const fail = (err: ConnectFailed): void => {
      if (settled) return;
      settled = true;
      client.end();
      reject(refused ?? err);
    };
    client.once('ready', () => {
      settled = true;
      client.setNoDelay(true);
      resolve(connection(client));
    });
    // Kept after 'ready' too: an 'error' without a listener would crash the process; the channel in use ends with the connection.
    client.on('error', (err: Error & { level?: string }) => {
      fail(new ConnectFailed(err.level === 'client-authentication' ? 'auth' : 'network', err.message, undefined, { cause: err }));
    });
    client.once('close', () => fail(new ConnectFailed('network', 'the connection closed during setup')));
    client.connect({
      host: server.host,
      port: server.port,
      username: server.user,
      privateKey: server.privateKey,
      readyTimeout: server.timeoutMs,
      ...KEEPALIVE,
      algorithms: { serverHostKey: algorithmsFor(server.pinned) },
      // Returning false ends the key exchange before any authentication request leaves this process.
      hostVerifier: (key: Buffer) => {
        if (server.revoked.some((k) => k.blob.equals(key))) refused = new ConnectFailed('revoked', 'revoked host key', Buffer.from(key));
        else if (!server.pinned.some((k) => k.blob.equals(key))) refused = new ConnectFailed('host-key', 'host key not pinned', Buffer.from(key));
        return refused === undefined;
      },
    });
  });
}

type HostKeyAlgorithms = NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']>;

/** Only the pinned keys' algorithms, so a server with several host keys presents a pinned one. */
function algorithmsFor(pinned: readonly HostKey[]): HostKeyAlgorithms {
  return [...new Set(pinned.flatMap((k) => hostKeyAlgorithms(k.type)))] as HostKeyAlgorithms;
}

function connection(client: Client): GitServerConnection {
  let closed = false;
  client.once('close', () => (closed = true));
  return {
    exec: (command) =>
      new Promise((resolve, reject) => {
        try {
          client.exec(command, (err, channel) => (err ? reject(err) : resolve(watch(channel))));
        } catch (err) {
          // ssh2 throws synchronously once its socket is gone.
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }),
    close: () =>
      new Promise((resolve) => {
        if (closed) return resolve();
        const timer = setTimeout(() => {
          client.destroy();
          resolve();
        }, 2_000);
        client.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        client.end();
      }),
  };
}

/**
 * Listens from within ssh2's callback: the channel's exit status and close can arrive in the same read
 * as its confirmation, and are emitted before anyone awaiting the channel could attach a listener.
 */
function watch(channel: ClientChannel): RemoteCommand {
  const end: CommandEnd = { exit: undefined, stderr: '' };
  // Read always: unread stderr would hold the channel's window shut and stall the output.
  channel.stderr.on('data', (d: Buffer) => {
    if (end.stderr.length < 4096) end.stderr += d.toString('utf8');
  });
  channel.on('exit', (code: number | null, signal?: string) => (end.exit = code ?? signal ?? 'a signal'));
  return { channel, ended: new Promise((resolve) => channel.once('close', () => resolve(end))) };
}
