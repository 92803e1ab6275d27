/**
 * Who holds what (ADR 0008), as `status` shows it: the site lock of this state directory and the node leases
 * this site's applies hold or left behind. Only the store is read: a lease another machine's apply holds
 * is known to the nodes, not here, and `apply` names it when it is refused.
 */
import { describeHolder, holderIsDead, type LockHolder, type ProcessIdentity } from '../store/lock-holder.js';
import type { StatusReader } from '../store/store.js';

export interface LockState {
  holder: LockHolder;
  /** Whether its holder is provably gone (this machine, its pid dead): the next apply takes it over. */
  stale: boolean;
}

export interface LeaseState extends LockState {
  node: string;
  /** When the lease runs out, by the node's clock (ISO). */
  expiresAt: string;
}

export interface LocksStatus {
  site: string;
  siteLock: LockState | null;
  leases: LeaseState[];
}

export async function readLocksStatus(store: Pick<StatusReader, 'site' | 'siteLock' | 'leases'>, self: ProcessIdentity, alive: (pid: number) => boolean): Promise<LocksStatus> {
  const lock = await store.siteLock();
  const state = (holder: LockHolder): LockState => ({ holder, stale: holderIsDead(holder, self, alive) });
  return {
    site: store.site,
    siteLock: lock ? state(lock.holder) : null,
    leases: (await store.leases()).map((l) => ({ node: l.node, expiresAt: new Date(l.expiresAt * 1000).toISOString(), ...state(l.holder) })),
  };
}

const staleNote = (s: LockState): string => (s.stale ? ' (its apply is no longer running: the next apply takes it over)' : '');

export function renderLocksText(locks: LocksStatus): string {
  const lines = ['', 'Locks'];
  lines.push(locks.siteLock ? `  site ${locks.site}: held by ${describeHolder(locks.siteLock.holder)}${staleNote(locks.siteLock)}` : `  site ${locks.site}: not locked`);
  for (const lease of locks.leases) lines.push(`  ${lease.node}: leased by ${describeHolder(lease.holder)}, until ${lease.expiresAt} by the node's clock${staleNote(lease)}`);
  return lines.join('\n') + '\n';
}
