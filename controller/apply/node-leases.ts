/**
 * The node leases of one apply (ADR 0008): taken on every node of the site before anything is observed,
 * renewed every third of their TTL while the apply lives, given back at its end. The token they carry is the
 * apply's fencing token: the record update refuses to write once the node's lease no longer carries it.
 *
 * Taking them also tells whether two Node documents reach one machine: the second finds the lease this very
 * apply took under the first's name (`same-machine`), whatever the addresses look like (a host name and an
 * address, two addresses of one host). Both are refused before anything touches either.
 *
 * A lease held by another apply is waited for until the deadline (`--lock-timeout`), then refuses the whole
 * apply, naming its holder: refusing before any node is touched is the honest default, since a partial apply
 * of a site another apply is changing helps nobody. A holder known to be dead (this machine, its pid gone)
 * is taken over at once; any other is taken over once its lease has expired by the node's clock.
 */
import { breakLease, releaseLease, takeLease, type LeaseTake } from '../../reconcilers/node-lease.js';
import type { Clock, Timers } from '../clock.js';
import { toErrorRecord, type ErrorRecord } from '../model/errors.js';
import { describeHolder, holderIsDead, type LockHolder, type NodeLease, type ProcessIdentity } from '../store/lock-holder.js';
import type { SiteLocks } from '../store/store.js';
import { Limiter } from '../transport/concurrency.js';
import type { NodeEndpoint, Transport } from '../transport/transport.js';
import { waitOnce, type LockWait } from './site-lock.js';

/** How long a lease outlives an apply that dies without giving it back (default; `--lease-ttl`). */
export const DEFAULT_LEASE_TTL_SECONDS = 60;

export interface NodeLeasesOptions {
  transport: Transport;
  /** Records the leases this apply holds, for `status`. */
  store: Pick<SiteLocks, 'recordLease'>;
  token: string;
  holder: LockHolder;
  ttlSeconds: number;
  /** Nodes leased at once. */
  concurrency: number;
  clock: Clock;
  timers: Timers;
  /** This process, to tell a dead holder from a live one (lock-holder.ts). */
  self: ProcessIdentity;
  isProcessAlive: (pid: number) => boolean;
}

export interface LeaseOutcome {
  /** Nodes this apply now leases. */
  held: string[];
  /** Nodes leased by another apply that may be alive (or with a lease file nobody can read): the apply refuses. */
  refused: Record<string, ErrorRecord>;
  /** Nodes that could not be reached to lease: left alone, like nodes observe cannot reach. */
  unreachable: Record<string, ErrorRecord>;
  /** Nodes that are one machine with another node of the site (DuplicateNodeIdentity), with why. */
  duplicates: Record<string, ErrorRecord>;
  /** What a person should know: leases taken over, and from whom. */
  notes: string[];
}

/** `node2 is leased by site lab, host x, pid 7, run 12, since T, until T2 (by the node's clock)` */
export function describeLease(node: string, lease: NodeLease): string {
  return `${node} is leased by ${describeHolder(lease.holder)}, until ${new Date(lease.expiresAt * 1000).toISOString()} by the node's clock`;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class NodeLeases {
  private readonly options: NodeLeasesOptions;
  private holder: LockHolder;
  private readonly targets = new Map<string, NodeEndpoint>();
  private readonly held = new Set<string>();
  private readonly lostLeases = new Map<string, ErrorRecord>();
  private stopRenewal: (() => void) | undefined;

  constructor(options: NodeLeasesOptions) {
    this.options = options;
    this.holder = options.holder;
  }

  /** Leases every node, waiting for other holders until `wait.deadline`. */
  async take(endpoints: readonly NodeEndpoint[], wait: LockWait): Promise<LeaseOutcome> {
    const outcome: LeaseOutcome = { held: [], refused: {}, unreachable: {}, duplicates: {}, notes: [] };
    for (const e of endpoints) this.targets.set(e.name, e);
    let pending = endpoints.map((e) => e.name);
    const others = new Map<string, NodeLease>();
    for (;;) {
      others.clear();
      const limiter = new Limiter(this.options.concurrency);
      await Promise.all(pending.map((name) => limiter.run(() => this.takeOne(name, outcome, others))));
      pending = [...others.keys()].sort();
      if (pending.length === 0 || !(await waitOnce(wait))) break;
    }
    for (const [name, lease] of others) {
      outcome.refused[name] = {
        code: 'NodeLeased',
        message: `${describeLease(name, lease)}: wait for that apply to finish, give --lock-timeout DURATION to wait for it, or, if it is gone for good, run \`underlay force-unlock --node ${name}\``,
      };
    }
    outcome.held = [...this.held].sort();
    outcome.notes.sort();
    return outcome;
  }

  private async takeOne(name: string, outcome: LeaseOutcome, others: Map<string, NodeLease>): Promise<void> {
    let take: LeaseTake;
    try {
      take = await this.takeLease(name);
      if (take.state === 'held' && holderIsDead(take.current.holder, this.options.self, this.options.isProcessAlive)) {
        take = await this.takeLease(name, take.current.token);
      }
    } catch (error) {
      outcome.unreachable[name] = toErrorRecord(error);
      return;
    }
    switch (take.state) {
      case 'taken':
      case 'renewed':
        await this.holding(name, take.lease);
        return;
      case 'took-over':
        await this.holding(name, take.lease);
        if (take.previous) outcome.notes.push(`took over the lease on ${name} from an apply that is gone (${describeLease(name, take.previous)})`);
        return;
      case 'held':
        others.set(name, take.current);
        return;
      case 'same-machine': {
        const first = take.current.node;
        const why = (a: string, b: string): ErrorRecord => ({
          code: 'DuplicateNodeIdentity',
          message:
            `nodes ${a} and ${b} reach the same machine (the lease this apply took on ${first} is the one it finds on ${name}): ` +
            'refusing both, since each would prune what the other manages there; keep one Node document for it',
        });
        outcome.duplicates[name] = why(name, first);
        outcome.duplicates[first] = why(first, name);
        return;
      }
      case 'unreadable':
        outcome.refused[name] = {
          code: 'LeaseUnreadable',
          message: `${name} has a lease file underlay cannot read (${JSON.stringify(take.text.slice(0, 80))}): if no apply holds it, remove it with \`underlay force-unlock --node ${name}\``,
        };
        return;
    }
  }

  private takeLease(name: string, takeover?: string): Promise<LeaseTake> {
    const { transport, token, ttlSeconds } = this.options;
    return takeLease({ transport, node: this.targets.get(name) as NodeEndpoint }, { token, ttlSeconds, holder: this.holder, ...(takeover ? { takeover } : {}) });
  }

  private async holding(name: string, lease: NodeLease): Promise<void> {
    this.held.add(name);
    await this.options.store.recordLease(name, lease);
  }

  /** Why this apply may no longer change `node` (its lease was taken over), if so. */
  lost(node: string): ErrorRecord | undefined {
    return this.lostLeases.get(node);
  }

  /** Renews the held leases every third of their TTL until released. */
  startRenewal(): void {
    this.stopRenewal ??= this.options.timers.every((this.options.ttlSeconds * 1000) / 3, () => this.renew());
  }

  /** Names the run in the leases' holder once it has begun, renewing them now. */
  async attachRun(runId: number): Promise<void> {
    this.holder = { ...this.holder, run: runId };
    await this.renew();
  }

  /** One renewal round. A lease found in another's hands is lost for good; an unreachable node is tried again next round. */
  async renew(): Promise<void> {
    const limiter = new Limiter(this.options.concurrency);
    const names = [...this.held].filter((n) => !this.lostLeases.has(n));
    await Promise.all(
      names.map((name) =>
        limiter.run(async () => {
          let take: LeaseTake;
          try {
            take = await this.takeLease(name);
          } catch {
            return;
          }
          if ('lease' in take) await this.options.store.recordLease(name, take.lease);
          else this.lose(name, take);
        }),
      ),
    );
  }

  private lose(name: string, take: Exclude<LeaseTake, { lease: NodeLease }>): void {
    const by = take.state === 'unreadable' ? 'replaced by a file underlay cannot read' : `taken over: ${describeLease(name, take.current)}`;
    this.lostLeases.set(name, { code: 'LeaseLost', message: `this apply's lease on ${name} was ${by}; nothing more is changed there` });
  }

  /**
   * Gives the leases back (stopping the renewal); returns warnings for those that could not be. The leases
   * of `failed` nodes are left to expire: the end of a run never waits on a node that may be unreachable.
   */
  async release(failed: ReadonlySet<string> = new Set()): Promise<string[]> {
    this.stopRenewal?.();
    const warnings: string[] = [];
    const limiter = new Limiter(this.options.concurrency);
    await Promise.all(
      [...this.held].sort().map((name) =>
        limiter.run(async () => {
          if (failed.has(name)) return;
          if (!this.lostLeases.has(name)) {
            try {
              await releaseLease({ transport: this.options.transport, node: this.targets.get(name) as NodeEndpoint }, this.options.token);
            } catch (error) {
              warnings.push(`the lease on ${name} could not be given back (${message(error)}); it expires within ${this.options.ttlSeconds} s`);
            }
          }
          await this.options.store.recordLease(name, null);
        }),
      ),
    );
    for (const name of [...this.held]) if (!failed.has(name)) this.held.delete(name);
    return warnings.sort();
  }
}

/**
 * Removes the leases on these nodes whoever holds them (`underlay force-unlock --node`): a line per node
 * saying what it had, and the nodes whose lease could not be removed.
 */
export async function breakLeases(transport: Transport, endpoints: readonly NodeEndpoint[], store: Pick<SiteLocks, 'recordLease'> | undefined): Promise<{ lines: string[]; failed: string[] }> {
  const lines: string[] = [];
  const failed: string[] = [];
  for (const endpoint of endpoints) {
    try {
      const result = await breakLease({ transport, node: endpoint });
      await store?.recordLease(endpoint.name, null);
      if (result.state === 'absent') lines.push(`${endpoint.name}: no lease`);
      else lines.push(`${endpoint.name}: removed the lease${result.previous ? ` of ${describeHolder(result.previous.holder)}` : ' (unreadable)'}`);
    } catch (error) {
      failed.push(endpoint.name);
      lines.push(`${endpoint.name}: could not remove its lease: ${message(error)}`);
    }
  }
  return { lines, failed };
}
