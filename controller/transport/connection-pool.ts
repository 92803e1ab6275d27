/**
 * The SSH connections one site keeps open in the running controller, between its reconciles and drift
 * checks (ADR 0027). A check that reuses them skips the TCP connect, key exchange and authentication per
 * node, which is most of what a drift check of converged nodes costs.
 *
 * One SshTransport per set of settings (the Site's ssh settings in the revision, the client key's bytes):
 * when they change, the old transport's connections close and a new one starts, so a rotated client key or
 * a changed keepalive rule is used from the next run on. Inside the transport a node's pin is part of its
 * connection's key, so a re-pinned node gets a new connection checked against the new pin, and the old one
 * closes. Connections idle for `idleTimeoutMs` close; `close()` (the site stopping, SIGTERM) ends all.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Timers } from '../clock.js';
import type { Opener } from '../runtime/runtime-deps.js';
import type { Revision } from '../source/revision.js';
import type { SshTransport, SshTransportOptions, TransportStats } from './ssh-transport.js';
import type { Transport } from './transport.js';

export interface ConnectionPoolOptions {
  /** The transport settings a revision asks for (cli/live-options.ts sshTransportOptions). */
  settings(revision: Revision): Promise<SshTransportOptions>;
  /** A connection nothing used for this long is closed; longer than the drift interval, or nothing is kept. */
  idleTimeoutMs: number;
  /** Open connections kept at most (jump hosts included). */
  maxConnections: number;
  timers: Timers;
}

export class ConnectionPool implements Opener<Revision, Transport> {
  #current: { key: string; transport: SshTransport } | undefined;
  readonly #retiring = new Set<Promise<void>>();
  #closed = false;
  /** Handshakes of transports already retired, so stats() counts every connection this pool opened. */
  #retiredOpened = 0;

  constructor(private readonly options: ConnectionPoolOptions) {}

  /** The kept transport for the revision's settings. Its close() does nothing: the pool's owner closes the pool. */
  async get(revision: Revision): Promise<Transport> {
    const settings = await this.options.settings(revision);
    const key = await settingsKey(settings);
    // Loaded on first use, as the CLI does: a site that never reaches a node never loads ssh2.
    const { SshTransport } = await import('./ssh-transport.js');
    if (this.#closed) throw new Error('the connection pool is closed');
    if (this.#current?.key !== key) {
      const old = this.#current?.transport;
      this.#current = {
        key,
        transport: new SshTransport({ ...settings, idleTimeoutMs: this.options.idleTimeoutMs, maxConnections: this.options.maxConnections, timers: this.options.timers }),
      };
      if (old) this.#retire(old);
    }
    return kept(this.#current.transport);
  }

  stats(): TransportStats {
    const now = this.#current?.transport.stats();
    const empty: TransportStats = { connectionsOpened: 0, connectionsClosedIdle: 0, connectAttempts: 0, openConnections: 0, execsInFlight: 0, maxExecsInFlight: 0, execsStarted: 0 };
    return { ...(now ?? empty), connectionsOpened: (now?.connectionsOpened ?? 0) + this.#retiredOpened };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const current = this.#current?.transport;
    this.#current = undefined;
    if (current) this.#retire(current);
    await Promise.all(this.#retiring);
  }

  #retire(transport: SshTransport): void {
    this.#retiredOpened += transport.stats().connectionsOpened;
    const closing = transport.close();
    this.#retiring.add(closing);
    void closing.then(() => this.#retiring.delete(closing));
  }
}

/** The transport as one run sees it: everything but closing. */
function kept(transport: SshTransport): Transport {
  return {
    exec: (node, argv, options) => transport.exec(node, argv, options),
    verifiedHostKey: (node) => transport.verifiedHostKey(node),
    close: () => Promise.resolve(),
  };
}

/**
 * What decides whether the kept transport still fits: every setting, and the client key's bytes (a key file
 * rotated in the secret store must be used by the next connection). Hashed, so no key or passphrase is held
 * twice; an unreadable key file gets a key of its own, and the transport says why when it connects.
 */
async function settingsKey(settings: SshTransportOptions): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(settings));
  if (settings.auth.type === 'key-file') {
    hash.update(await readFile(settings.auth.path).catch((err: unknown) => Buffer.from(`unreadable: ${String(err)}`)));
  }
  return hash.digest('hex');
}
