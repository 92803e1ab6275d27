import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { after, systemTimers, type Timers } from '../clock.js';
import { Limiter } from './concurrency.js';
import {
  AuthFailed,
  CommandTimeout,
  ConnectionLost,
  HostKeyInvalid,
  HostKeyMismatch,
  HostKeyMissing,
  seconds,
  SessionRefused,
  Unreachable,
} from './errors.js';
import { describeError, UnderlayError } from '../model/errors.js';
import { fingerprint, hostKeyAlgorithms, parseHostKey, type HostKey } from './host-key.js';
import { keyscan, type ScannedKey } from './keyscan.js';
import { shellCommand } from '../model/shell-quote.js';
import type { ExecOptions, ExecResult, NodeEndpoint, Transport } from './transport.js';

/** The controller's own identity: a key file from its secret directory, or a running ssh-agent. */
export type SshAuth =
  | { type: 'key-file'; path: string; passphrase?: string }
  /** socket defaults to SSH_AUTH_SOCK. */
  | { type: 'agent'; socket?: string };

export interface SshTransportOptions {
  auth: SshAuth;
  /** Commands (including their connection setup) in flight across all nodes. Default 16. */
  maxConcurrent?: number;
  /** Channels open at once on one connection; stock sshd allows 10 sessions per connection. Default 8. */
  maxExecsPerConnection?: number;
  /** TCP connect plus SSH handshake plus authentication, per attempt (ssh2 readyTimeout). Default 10000. */
  connectTimeoutMs?: number;
  /**
   * The dead-peer rule: a probe every keepaliveIntervalMs (default 5000; 0 disables), and a connection
   * whose keepaliveCountMax (default 2) probes in a row go unanswered is lost. A silent network loss then
   * ends the command on it with ConnectionLost after at most interval x (count + 1).
   */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Connection setup attempts before Unreachable. Default 4. Commands themselves are never re-run. */
  connectAttempts?: number;
  /** First retry delay; doubles each attempt, with jitter, capped at backoffMaxMs. Default 250. */
  backoffBaseMs?: number;
  /** Default 5000. */
  backoffMaxMs?: number;
  /** Applied when an exec passes no timeoutMs. Default: none. */
  defaultTimeoutMs?: number;
  /**
   * Kept connections (the controller's pool, connection-pool.ts): one nothing used for this long is closed.
   * Default: none, every connection stays until close(), as a one-shot command wants.
   */
  idleTimeoutMs?: number;
  /**
   * At most this many connections stay open: past it, the least recently used idle ones are closed before a
   * new one opens and whenever one goes idle. Busy ones are never closed for it, so while execs are in flight
   * up to maxConcurrent (+ their jump hosts) can be open. Default: no bound.
   */
  maxConnections?: number;
  /** What idle timeouts run on. Default: the system's. */
  timers?: Timers;
}

export interface TransportStats {
  /** Successful SSH handshakes (including to jump hosts) since construction: reuse keeps this low. */
  connectionsOpened: number;
  /** Connections this side closed because they sat idle past idleTimeoutMs or past maxConnections. */
  connectionsClosedIdle: number;
  connectAttempts: number;
  openConnections: number;
  execsInFlight: number;
  /** High-water mark of execsInFlight; lets tests and metrics check the concurrency bound. */
  maxExecsInFlight: number;
  execsStarted: number;
}

interface Connection {
  client: Client;
  /** The host key the server presented in the handshake: the pinned one, or there would be no connection. */
  hostKey: Buffer;
  alive: boolean;
  /** How the connection was found dead, for ConnectionLost; the first cause seen wins. */
  lost?: string;
  /** The dead-peer rule found it dead: the node stopped answering, it did not close the connection. */
  silent?: boolean;
  sessions: Limiter;
  /** Execs running on it, connections tunnelled through it, host-key checks: while above 0 it is not idle. */
  users: number;
  /** When it was last let go (a counter, not a time): the least recent idle ones go first past maxConnections. */
  lastUsed: number;
  cancelIdle?: () => void;
  /** Its node's pin or address changed: no new work goes to it, and it closes once idle. */
  retired?: boolean;
  /** The jump host this connection is tunnelled through, held while it is open. */
  via?: Connection;
}

interface Entry {
  /** The node's name: an entry of the same name under another key is a stale pin or address. */
  name: string;
  promise: Promise<Connection>;
  conn?: Connection;
}

type Identity = Pick<ConnectConfig, 'privateKey' | 'passphrase' | 'agent'>;

/** Failures worth another connection attempt: the network or the peer, not keys or credentials. */
class RetryableSetupError extends Error {}

/** The channel was never opened, so the command did not start and running it on a new connection is safe. */
class ChannelOpenFailed extends Error {}

export class SshTransport implements Transport {
  private readonly opts: Required<Omit<SshTransportOptions, 'defaultTimeoutMs' | 'auth' | 'idleTimeoutMs' | 'maxConnections'>> &
    Pick<SshTransportOptions, 'defaultTimeoutMs' | 'auth' | 'idleTimeoutMs' | 'maxConnections'>;
  private readonly limiter: Limiter;
  private readonly conns = new Map<string, Entry>();
  /** Nodes whose last connection the dead-peer rule ended, with how: until one connects again, that is why they fail. */
  private readonly silentLosses = new Map<string, string>();
  private identityPromise: Promise<Identity> | undefined;
  private closed = false;
  private useTick = 0;
  /** Connections being ended by this side (idle, retired), for close() to wait on. */
  private readonly closing = new Set<Promise<void>>();
  private readonly counters = {
    connectionsOpened: 0,
    connectionsClosedIdle: 0,
    connectAttempts: 0,
    execsInFlight: 0,
    maxExecsInFlight: 0,
    execsStarted: 0,
  };

  constructor(options: SshTransportOptions) {
    this.opts = {
      maxConcurrent: 16,
      maxExecsPerConnection: 8,
      connectTimeoutMs: 10_000,
      keepaliveIntervalMs: 5_000,
      keepaliveCountMax: 2,
      connectAttempts: 4,
      backoffBaseMs: 250,
      backoffMaxMs: 5_000,
      timers: systemTimers,
      ...stripUndefined(options),
    };
    if (options.auth.type === 'agent' && !(options.auth.socket ?? process.env.SSH_AUTH_SOCK)) {
      throw new UnderlayError({ code: 'SshAgentMissing', message: 'ssh-agent authentication requested but no socket given and SSH_AUTH_SOCK is not set', data: {} });
    }
    this.limiter = new Limiter(this.opts.maxConcurrent);
  }

  stats(): TransportStats {
    let open = 0;
    for (const e of this.conns.values()) if (e.conn?.alive) open++;
    return { ...this.counters, openConnections: open };
  }

  async exec(node: NodeEndpoint, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? this.opts.defaultTimeoutMs;
    // OpenSSH refuses signal requests in root sessions, so the KILL the client sends on timeout may never
    // arrive: the node enforces the same deadline itself (coreutils `timeout`), so nothing outlives it.
    const command = shellCommand(timeoutMs === undefined ? argv : ['timeout', '-s', 'KILL', String(Math.ceil(timeoutMs / 1000)), ...argv]);
    this.assertOpen();
    return this.limiter.run(async () => {
      this.counters.execsInFlight++;
      this.counters.maxExecsInFlight = Math.max(this.counters.maxExecsInFlight, this.counters.execsInFlight);
      try {
        return await this.execOnce(node, argv, command, options);
      } finally {
        this.counters.execsInFlight--;
      }
    });
  }

  /**
   * Reads the host key a server offers, for an operator to verify and pin. The jump host, if any, must
   * already be pinned: only the target's key is unverified, and it is never used to authenticate.
   */
  async scanHostKey(
    target: Pick<NodeEndpoint, 'name' | 'address' | 'port' | 'via'>,
    options: { timeoutMs?: number } = {},
  ): Promise<ScannedKey> {
    this.assertOpen();
    const tunnel = target.via ? await this.tunnel(target) : undefined;
    try {
      return await keyscan({
        address: target.address,
        port: target.port,
        timeoutMs: options.timeoutMs ?? this.opts.connectTimeoutMs,
        ...(tunnel ? { sock: tunnel.channel } : {}),
      });
    } finally {
      if (tunnel) this.release(tunnel.bastion);
    }
  }

  /**
   * The fingerprint of the host key the node's connection presented, which matched its pin: the proof a
   * secret needs that this run reaches the pinned machine (ADR 0014). Connects when there is no live
   * connection, and fails as an exec would (HostKeyMismatch, Unreachable, ...).
   */
  async verifiedHostKey(node: NodeEndpoint): Promise<string> {
    this.assertOpen();
    const conn = await this.connection(node);
    this.hold(conn);
    this.release(conn);
    return fingerprint(conn.hostKey);
  }

  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.conns.values()];
    this.conns.clear();
    await Promise.all([
      ...entries.map(async (e) => {
        const conn = await e.promise.catch(() => undefined);
        if (conn) await endClient(conn);
      }),
      ...this.closing,
    ]);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('transport is closed');
  }

  private async execOnce(
    node: NodeEndpoint,
    argv: readonly string[],
    command: string,
    options: ExecOptions,
  ): Promise<ExecResult> {
    let reconnected = false;
    for (let refusals = 0; ; ) {
      const conn = await this.connection(node);
      this.hold(conn);
      try {
        return await conn.sessions.run(() => this.run(conn, node, { argv, command }, options));
      } catch (err) {
        // Only a channel that never opened is retried: the command did not start, so it cannot run twice.
        if (!(err instanceof ChannelOpenFailed)) throw err;
        if (!conn.alive) {
          // A node that went silent while the channel was opening is lost, as it would be a moment later with
          // the channel open: reconnecting would only stack connection attempts on the dead-peer rule's bound
          // and then report how the reconnect failed instead of what happened.
          if (conn.silent) throw new ConnectionLost(node.name, conn.lost ?? 'no answer', err.cause);
          // A cached connection can die between uses (server restart, NAT timeout) before keepalive notices.
          if (reconnected) throw new ConnectionLost(node.name, `no session channel after reconnecting: ${describeError(err.cause)}`, err.cause);
          reconnected = true;
          continue;
        }
        // sshd frees a session slot slightly after the client sees the channel close, so a connection at
        // MaxSessions refuses briefly even though this side never exceeds maxExecsPerConnection.
        if (++refusals > OPEN_RETRIES) {
          throw new SessionRefused(node.name, err.cause);
        }
        await sleep(10 * 2 ** refusals);
      } finally {
        this.release(conn);
      }
    }
  }

  private hold(conn: Connection): void {
    conn.users++;
    conn.cancelIdle?.();
    conn.cancelIdle = undefined;
  }

  /** One use ended: a connection nobody uses any more is closed if retired, else waits idle (and trims the pool). */
  private release(conn: Connection): void {
    conn.users--;
    conn.lastUsed = ++this.useTick;
    if (conn.users > 0 || !conn.alive) return;
    if (conn.retired) return void this.retire(conn);
    this.trim(0);
    const idleMs = this.opts.idleTimeoutMs;
    if (idleMs !== undefined && conn.alive && !conn.cancelIdle) {
      conn.cancelIdle = after(this.opts.timers, idleMs, () => {
        conn.cancelIdle = undefined;
        if (conn.users === 0) this.retire(conn, true);
      });
    }
  }

  /** Past maxConnections (with `reserve` more about to open), the least recently used idle connections close. */
  private trim(reserve: number): void {
    const max = this.opts.maxConnections;
    if (max === undefined) return;
    const live = [...this.conns.values()].flatMap((e) => (e.conn?.alive ? [e.conn] : []));
    let excess = live.length + reserve - max;
    for (const conn of live.filter((c) => c.users === 0).sort((a, b) => a.lastUsed - b.lastUsed)) {
      if (excess-- <= 0) break;
      this.retire(conn, true);
    }
  }

  /** Ends a connection this side no longer wants; the next exec to its node opens (and pin-checks) a new one. */
  private retire(conn: Connection, idle = false): void {
    if (!conn.alive) return;
    for (const [key, e] of this.conns) if (e.conn === conn) this.conns.delete(key);
    if (idle) this.counters.connectionsClosedIdle++;
    const ending = endClient(conn);
    this.closing.add(ending);
    void ending.then(() => this.closing.delete(ending));
  }

  /** `command` is `argv` quoted for the remote shell; `argv` names the program in a timeout's message. */
  private run(conn: Connection, node: NodeEndpoint, { argv, command }: { argv: readonly string[]; command: string }, options: ExecOptions): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? this.opts.defaultTimeoutMs;
    return new Promise<ExecResult>((resolve, reject) => {
      const onChannel = (err: Error | undefined, stream: ClientChannel): void => {
        if (err) {
          reject(new ChannelOpenFailed(err.message, { cause: err }));
          return;
        }
        this.counters.execsStarted++;
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let code: number | undefined;
        let signal: string | undefined;
        let settled = false;
        let timer: NodeJS.Timeout | undefined;
        stream.on('data', (d: Buffer) => stdout.push(d));
        stream.stderr.on('data', (d: Buffer) => stderr.push(d));
        stream.on('exit', (c: number | null, sig?: string) => {
          if (typeof c === 'number') code = c;
          else signal = sig ?? 'unknown signal';
        });
        stream.on('close', () => {
          if (timer) clearTimeout(timer);
          if (settled) return;
          settled = true;
          const out = Buffer.concat(stdout);
          const errOut = Buffer.concat(stderr);
          if (code !== undefined) resolve({ code, stdout: out, stderr: errOut });
          else if (signal !== undefined)
            resolve({ code: 255, stdout: out, stderr: errOut, signal, message: `killed by ${signal}` });
          else if (!conn.alive) reject(new ConnectionLost(node.name, conn.lost ?? 'the connection closed'));
          else resolve({ code: 255, stdout: out, stderr: errOut, message: 'command ended without an exit status' });
        });
        if (timeoutMs !== undefined) {
          timer = setTimeout(() => {
            if (settled) return;
            settled = true;
            sendKill(stream);
            stream.close();
            // Reject now rather than on 'close': on a dead connection the close may never be acknowledged.
            reject(new CommandTimeout(node.name, argv, timeoutMs));
          }, timeoutMs);
        }
        stream.on('error', () => {
          /* surfaced through 'close' and the connection state */
        });
        if (options.stdin === undefined) stream.end();
        else stream.end(typeof options.stdin === 'string' ? Buffer.from(options.stdin) : options.stdin);
      };
      try {
        conn.client.exec(command, onChannel);
      } catch (err) {
        // ssh2 throws synchronously when its socket is already gone.
        conn.alive = false;
        reject(new ChannelOpenFailed(String(err), { cause: err }));
      }
    });
  }

  private connection(node: NodeEndpoint): Promise<Connection> {
    const key = connectionKey(node);
    const existing = this.conns.get(key);
    if (existing && (existing.conn === undefined || existing.conn.alive)) return existing.promise;
    this.retireStale(node.name, key);
    this.trim(1);
    const entry: Entry = { name: node.name, promise: this.open(node, (conn) => this.track(key, entry, conn)) };
    this.conns.set(key, entry);
    entry.promise.catch(() => {
      // A failed setup must not be cached: the next exec tries again from scratch.
      if (this.conns.get(key) === entry) this.conns.delete(key);
    });
    return entry.promise;
  }

  /**
   * A node whose pin (or address, user, port, jump host) changed gets a new connection, checked against the
   * new pin; the connection made under the old one takes no new work and closes once what runs on it ended.
   */
  private retireStale(name: string, key: string): void {
    for (const [k, e] of this.conns) {
      if (k === key || e.name !== name) continue;
      this.conns.delete(k);
      void e.promise.then(
        (conn) => {
          conn.retired = true;
          if (conn.users === 0) this.retire(conn);
        },
        () => undefined,
      );
    }
  }

  private track(key: string, entry: Entry, conn: Connection): void {
    entry.conn = conn;
    const drop = (): void => {
      conn.alive = false;
      conn.lost ??= 'the node closed the connection';
      if (this.conns.get(key) === entry) this.conns.delete(key);
      conn.cancelIdle?.();
      conn.cancelIdle = undefined;
      // The tunnel through the jump host closed with it: the jump host may go idle now (once).
      const via = conn.via;
      conn.via = undefined;
      if (via) this.release(via);
    };
    conn.client.on('close', drop);
    conn.client.on('end', drop);
    // Without a listener an 'error' after ready would crash the process; the 'close' that follows drops it.
    // ssh2 emits the keepalive verdict as an error just before it destroys the socket.
    conn.client.on('error', (err: Error & { level?: string }) => {
      conn.alive = false;
      const { keepaliveIntervalMs, keepaliveCountMax } = this.opts;
      conn.lost ??= err.level === 'client-timeout' ? `no answer for ${seconds(keepaliveIntervalMs * keepaliveCountMax)}` : err.message;
      if (err.level === 'client-timeout') {
        conn.silent = true;
        this.silentLosses.set(key, conn.lost);
      }
    });
    if (this.closed) void endClient(conn);
  }

  private async open(node: NodeEndpoint, onReady: (conn: Connection) => void): Promise<Connection> {
    const pinned = pinnedKey(node);
    const identity = await this.identity(node);
    const target = describeTarget(node);
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.opts.connectAttempts; attempt++) {
      this.assertOpen();
      this.counters.connectAttempts++;
      let bastion: Connection | undefined;
      try {
        const tunnel = node.via ? await this.tunnel(node) : undefined;
        bastion = tunnel?.bastion;
        const { client, hostKey } = await this.handshake(node, pinned, identity, tunnel?.channel);
        this.counters.connectionsOpened++;
        const conn: Connection = { client, hostKey, alive: true, sessions: new Limiter(this.opts.maxExecsPerConnection), users: 0, lastUsed: ++this.useTick, ...(bastion ? { via: bastion } : {}) };
        // The connection holds its jump host from here on, until it closes.
        bastion = undefined;
        this.silentLosses.delete(connectionKey(node));
        onReady(conn);
        return conn;
      } catch (err) {
        if (bastion) this.release(bastion);
        if (!(err instanceof RetryableSetupError)) throw err;
        lastError = err.cause ?? err;
        if (attempt < this.opts.connectAttempts) await sleep(this.backoff(attempt));
      }
    }
    const unreachable = new Unreachable(node.name, target, this.opts.connectAttempts, lastError);
    // A node that went silent mid-run and cannot be reached since is still the loss the dead-peer rule saw.
    const loss = this.silentLosses.get(connectionKey(node));
    throw loss === undefined ? unreachable : new ConnectionLost(node.name, loss, unreachable);
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** (attempt - 1));
    // Jitter spreads reconnects of many nodes behind one bastion that dropped at the same moment.
    return base / 2 + Math.random() * (base / 2);
  }

  /**
   * Opens a direct-tcpip channel through the (pinned, persistent) jump host to the node. The jump host's
   * connection is held (not idle) from here; whoever gets the channel releases it.
   */
  private async tunnel(node: Pick<NodeEndpoint, 'name' | 'address' | 'port' | 'via'>): Promise<{ channel: ClientChannel; bastion: Connection }> {
    const via = node.via as NodeEndpoint;
    // Bastion failures are final here: its own connection already retried, and the error names the bastion.
    const bastion = await this.connection(via);
    this.hold(bastion);
    try {
      const channel = await new Promise<ClientChannel>((resolve, reject) => {
        try {
          bastion.client.forwardOut('127.0.0.1', 0, node.address, node.port, (err, ch) => {
            if (err) reject(new RetryableSetupError(`jump host ${via.name}: ${err.message}`, { cause: err }));
            else resolve(ch);
          });
        } catch (err) {
          bastion.alive = false;
          reject(new RetryableSetupError(`jump host ${via.name}: ${String(err)}`, { cause: err }));
        }
      });
      return { channel, bastion };
    } catch (err) {
      this.release(bastion);
      throw err;
    }
  }

  private handshake(node: NodeEndpoint, pinned: HostKey, identity: Identity, sock?: Readable): Promise<{ client: Client; hostKey: Buffer }> {
    return new Promise<{ client: Client; hostKey: Buffer }>((resolve, reject) => {
      const client = new Client();
      let presented: Buffer | undefined;
      let accepted: Buffer | undefined;
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        client.end();
        if (sock && 'destroy' in sock) sock.destroy();
        reject(err);
      };
      client.once('ready', () => {
        // ssh2 is ready only after the verifier accepted the pinned key: without one there is no connection.
        if (!accepted) return fail(new HostKeyMismatch(node.name, fingerprint(pinned.blob), 'no key'));
        if (settled) return;
        settled = true;
        client.setNoDelay(true);
        resolve({ client, hostKey: accepted });
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (presented) fail(new HostKeyMismatch(node.name, fingerprint(pinned.blob), fingerprint(presented)));
        else if (err.level === 'client-authentication') fail(new AuthFailed(node.name, node.user, err));
        else fail(new RetryableSetupError(err.message, { cause: err }));
      });
      client.once('close', () => {
        if (presented) fail(new HostKeyMismatch(node.name, fingerprint(pinned.blob), fingerprint(presented)));
        else fail(new RetryableSetupError('connection closed during setup'));
      });
      try {
        client.connect({
          host: node.address,
          port: node.port,
          username: node.user,
          ...(sock ? { sock } : {}),
          readyTimeout: this.opts.connectTimeoutMs,
          keepaliveInterval: this.opts.keepaliveIntervalMs,
          keepaliveCountMax: this.opts.keepaliveCountMax,
          algorithms: { serverHostKey: hostKeyAlgorithms(pinned.type) as ConnectAlgorithms },
          // Returning false aborts key exchange before any authentication request leaves this process.
          hostVerifier: (key: Buffer) => {
            if (key.equals(pinned.blob)) {
              accepted = Buffer.from(key);
              return true;
            }
            presented = Buffer.from(key);
            return false;
          },
          ...identity,
        });
      } catch (err) {
        // ssh2 validates the private key synchronously.
        fail(new AuthFailed(node.name, node.user, err));
      }
    });
  }

  private identity(node: NodeEndpoint): Promise<Identity> {
    const auth = this.opts.auth;
    if (auth.type === 'agent') return Promise.resolve({ agent: auth.socket ?? process.env.SSH_AUTH_SOCK });
    this.identityPromise ??= readFile(auth.path).then(
      (privateKey) => ({ privateKey, ...(auth.passphrase === undefined ? {} : { passphrase: auth.passphrase }) }),
      (err: unknown) => {
        this.identityPromise = undefined;
        throw new AuthFailed(node.name, node.user, new Error(`cannot read private key ${auth.path}`, { cause: err }));
      },
    );
    return this.identityPromise;
  }
}

const OPEN_RETRIES = 6;

type ConnectAlgorithms = NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']>;

function pinnedKey(node: NodeEndpoint): HostKey {
  if (!node.hostKey || node.hostKey.trim() === '') throw new HostKeyMissing(node.name);
  try {
    return parseHostKey(node.hostKey);
  } catch (err) {
    throw new HostKeyInvalid(node.name, err instanceof Error ? err.message : String(err));
  }
}

/** Everything that changes what is being trusted is in the key, so a re-pinned key never reuses an old connection. */
function connectionKey(node: NodeEndpoint): string {
  const self = JSON.stringify([node.name, node.user, node.address, node.port, node.hostKey.trim()]);
  return node.via ? `${self} via ${connectionKey(node.via)}` : self;
}

function describeTarget(node: NodeEndpoint): string {
  const self = `${node.user}@${node.address}:${node.port}`;
  return node.via ? `${self} via ${node.via.name}` : self;
}

/**
 * ssh2's Channel.signal() is a no-op once stdin has been ended (it checks `writable`), and every exec ends
 * stdin, so the request goes through the protocol object directly. Without it sshd leaves a timed-out
 * command running after the channel closes (it does not kill non-pty children). OpenSSH refuses signal
 * requests in root sessions ("requires privilege separation"), so for root logins this is best effort.
 */
function sendKill(stream: ClientChannel): void {
  const internal = stream as unknown as {
    type?: string;
    outgoing?: { id?: number; state?: string };
    _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
  };
  const protocol = internal._client?._protocol;
  const id = internal.outgoing?.id;
  try {
    if (typeof protocol?.signal === 'function' && typeof id === 'number' && isOpenForRequests(internal.outgoing?.state)) {
      protocol.signal(id, 'KILL');
    } else {
      stream.signal('KILL');
    }
  } catch {
    /* channel already closing: nothing left to kill */
  }
}

/** After our EOF the channel is 'eof', which still accepts requests until either side sends close. */
function isOpenForRequests(state: string | undefined): boolean {
  return state === 'open' || state === 'eof';
}

function endClient(conn: Connection): Promise<void> {
  conn.alive = false;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      conn.client.destroy();
      resolve();
    }, 2_000);
    conn.client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    conn.client.end();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

