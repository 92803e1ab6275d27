/**
 * The reconcile runtime's dependencies as the CLI commands give them: the repository and revision from the
 * flags, the SSH identity and the state database opened on first use (a command that never reaches a node
 * never loads ssh2, one refused before it runs leaves no state behind), and closed when the command ends.
 */
import { effectsOf } from '../../reconcilers/effects.js';
import { nodeManagedRecord } from '../../reconcilers/managed-record.js';
import { registry } from '../../reconcilers/registry.js';
import { systemClock, systemTimers } from '../clock.js';
import { KeyedQueue } from '../model/keyed-queue.js';
import type { ReconcileEvent } from '../runtime/reconcile-event.js';
import type { Opener, RuntimeDeps } from '../runtime/runtime-deps.js';
import { cliStatus } from '../runtime/write-status.js';
import type { Revision } from '../source/revision.js';
import type { Transport } from '../transport/transport.js';
import type { CliIO } from './io.js';
import { concurrencyOf, openLedgerReadOnly, openStore, sshTransport, type LiveOptions } from './live-options.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import { ledgerPools } from '../targets/pool-provider.js';
import { Rfc2136ZoneProvider } from '../targets/rfc2136-zone-provider.js';
import { systemRandom } from '../pki/certificate-builder.js';
import { StoreIssuer } from '../pki/certificate-issuer.js';
import type { ServiceTargetProviders } from '../targets/target-providers.js';
import { readSiteRevision, type SiteOptions } from './site-options.js';
import { siteSecrets } from '../secrets/secret-source.js';
import { secretStoreOf } from './state-options.js';

/** Opened by the first `get` (later ones share it), closed by `close` if it was. */
class OpenedOnce<A, T extends { close(): Promise<void> }> implements Opener<A, T> {
  #opened: Promise<T> | undefined;
  constructor(private readonly open: (arg: A) => Promise<T>) {}

  get(arg: A): Promise<T> {
    this.#opened ??= this.open(arg);
    return this.#opened;
  }

  get opened(): boolean {
    return this.#opened !== undefined;
  }

  async close(): Promise<void> {
    const opened = await this.#opened?.catch(() => undefined);
    await opened?.close();
  }
}

/**
 * The site's service targets. Pools: the ledger in this state directory, the apply's own store once its
 * locks opened it (apply allocates there), else the database read only when it exists (plan and inventory
 * never create state). Zones: RFC 2136 with the TSIG key each DNSZone names, from the secret store.
 */
class LedgerTargets implements Opener<string, ServiceTargetProviders> {
  #readOnly: SqliteStore | undefined;
  #zone: Rfc2136ZoneProvider | undefined;
  constructor(
    private readonly store: OpenedOnce<string, SqliteStore>,
    private readonly options: LiveOptions,
    private readonly io: CliIO,
  ) {}

  async get(site: string): Promise<ServiceTargetProviders> {
    this.#zone ??= new Rfc2136ZoneProvider({ site, secrets: secretStoreOf(this.options, this.io), clock: systemClock });
    const zone = this.#zone;
    if (this.store.opened) return { pool: ledgerPools((await this.store.get(site)).ledger()), zone };
    this.#readOnly ??= openLedgerReadOnly(this.options, this.io, site);
    return this.#readOnly ? { pool: ledgerPools(this.#readOnly.ledger()), zone } : { zone };
  }

  async close(): Promise<void> {
    await this.#readOnly?.close();
  }
}

export interface CliReconcile {
  deps: RuntimeDeps;
  /** The same store as `deps.store`, with all its parts (the drift ledger, the runs). */
  siteStore: Opener<string, SqliteStore>;
  /** Closes the store, then the transport: what the reconcile opened. */
  close(): Promise<void>;
}

export interface CliReconcileFrom {
  /** Where revisions are read (default the options' own repository flags). */
  source?: SiteOptions;
  /**
   * The controller's connection pool (transport/connection-pool.ts), used instead of a transport of this
   * run's own and left open at close; the CLI has none and closes every connection when the command ends.
   */
  kept?: Opener<Revision, Transport>;
}

export function cliReconcileDeps(options: LiveOptions, io: CliIO, onEvent: (event: ReconcileEvent) => void, { source = options, kept }: CliReconcileFrom = {}): CliReconcile {
  const own = new OpenedOnce((revision: Revision) => sshTransport(options, io, revision));
  const transport = kept ?? own;
  const store = new OpenedOnce((site: string) => Promise.resolve(openStore(options, io, site)));
  const targets = new LedgerTargets(store, options, io);
  return {
    siteStore: store,
    deps: {
      registry,
      source: { read: () => readSiteRevision(source, io), at: (commit) => readSiteRevision({ ...source, rev: commit, worktree: false }, io) },
      transport,
      targets,
      issuer: { get: async (site: string) => new StoreIssuer({ secrets: secretStoreOf(options, io), store: (await store.get(site)).issuedCertificates(), clock: systemClock, random: systemRandom }) },
      secrets: { get: (site: string) => Promise.resolve(siteSecrets(secretStoreOf(options, io), site)) },
      store,
      effects: effectsOf,
      managedRecord: nodeManagedRecord,
      clock: systemClock,
      timers: systemTimers,
      concurrency: concurrencyOf(options),
      queue: new KeyedQueue(),
      status: cliStatus,
      onEvent,
    },
    async close() {
      await targets.close();
      await store.close();
      await own.close();
    },
  };
}
