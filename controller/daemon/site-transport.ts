/**
 * A site's SSH connections, kept by the controller from one reconcile or drift check to the next. Opening
 * them is most of what a small change costs (a handshake per node is ~10 times one command on an open
 * connection: bench/RESULTS.md, "commit-to-converged"), and the CLI opens them per command; a long-running
 * controller need not. Reusing is safe: a connection is keyed by the node's address, user and pinned host
 * key (ssh-transport.ts), so a revision that re-pins a key or moves a node gets a new one. The transport is
 * replaced when what it was built from changes (the client key secret's content, the site's keepalive rule,
 * the concurrency), and the site's reconciles and drift checks are serialised, so none is in use then.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Opener } from '../runtime/runtime-deps.js';
import type { Revision } from '../source/revision.js';
import type { SshTransportOptions } from '../transport/ssh-transport.js';
import type { Transport } from '../transport/transport.js';

export interface ClosableTransport extends Transport {
  close(): Promise<void>;
}

export interface SiteTransportOptions {
  /** The settings a transport for this revision is built from (sshTransportOptions). */
  settings(revision: Revision): Promise<SshTransportOptions>;
  open(settings: SshTransportOptions): Promise<ClosableTransport>;
}

/** Whatever would make a new transport differ: the settings, and the key file's bytes (a rotated key). */
async function identityOf(settings: SshTransportOptions): Promise<string> {
  const key = settings.auth.type === 'key-file' ? createHash('sha256').update(await readFile(settings.auth.path)).digest('hex') : '';
  return JSON.stringify([settings, key]);
}

export class SiteTransport implements Opener<Revision, Transport> {
  #current: { identity: string; transport: Promise<ClosableTransport> } | undefined;

  constructor(private readonly options: SiteTransportOptions) {}

  async get(revision: Revision): Promise<Transport> {
    const settings = await this.options.settings(revision);
    const identity = await identityOf(settings);
    const kept = this.#current;
    if (kept?.identity === identity) return kept.transport;
    const current = { identity, transport: this.options.open(settings) };
    this.#current = current;
    // A transport that could not be made is not kept: the next run tries again.
    current.transport.catch(() => {
      if (this.#current === current) this.#current = undefined;
    });
    await kept?.transport.then((t) => t.close()).catch(() => undefined);
    return current.transport;
  }

  /** Ends the connections (the site stops). */
  async close(): Promise<void> {
    const current = this.#current;
    this.#current = undefined;
    await current?.transport.then((t) => t.close()).catch(() => undefined);
  }
}
