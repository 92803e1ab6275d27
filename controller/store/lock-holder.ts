/**
 * Who holds a site lock or a node lease (ADR 0008): the apply process, named so that a person can find it
 * and so that another apply can tell a holder that died from one that still works. A pid means something
 * only on its machine, in its boot and in its pid namespace; a holder is judged dead only when all three are
 * this process's own and the pid is gone, or when the machine has restarted since (another boot id). Anything
 * else may be alive, and only its lease's expiry (or a person, with `underlay force-unlock`) frees it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';

export const LockHolder = z.strictObject({
  /** The site id whose apply holds it. */
  site: z.string(),
  /** The machine the apply runs on (its host name), its boot id and pid namespace. */
  host: z.string(),
  boot: z.string(),
  pidNamespace: z.string(),
  pid: z.number().int(),
  /** The store's run id, once the run has begun (leases and locks are taken before it is planned). */
  run: z.number().int().nullable(),
  /** When it was taken, by the holder's clock (ISO). */
  since: z.string(),
});
export type LockHolder = z.infer<typeof LockHolder>;

/**
 * A node's lease as the node keeps it (`/var/lib/underlay/lease.json`, one line, in this key order so that the
 * node-side scripts can read the first three fields with sed): the holder's token, the node it was taken
 * for, when it expires by the node's clock (seconds since the epoch), and the holder.
 */
export const NodeLease = z.strictObject({
  token: z.string().regex(/^[0-9a-f]{1,64}$/),
  node: z.string(),
  expiresAt: z.number().int(),
  holder: LockHolder,
});
export type NodeLease = z.infer<typeof NodeLease>;

/** The process a holder is: everything of LockHolder that is not about the site or the run. */
export type ProcessIdentity = Pick<LockHolder, 'host' | 'boot' | 'pidNamespace' | 'pid'>;

const readOr = (read: () => string, fallback: string): string => {
  try {
    return read().trim();
  } catch {
    return fallback;
  }
};

/** This process, as a holder names it. Outside Linux the boot id and namespace are unknown (''): never judged. */
export function currentProcess(): ProcessIdentity {
  return {
    host: hostname(),
    boot: readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'), ''),
    pidNamespace: readOr(() => readlinkSync('/proc/self/ns/pid'), ''),
    pid: process.pid,
  };
}

/** Signal 0 to the pid; EPERM means it exists but is someone else's, so it is alive. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `holder` is provably dead, seen from `me`: on this machine and boot, in this pid namespace, with
 * its pid gone; or on this machine in an earlier boot. A holder on another machine is never judged here.
 */
export function holderIsDead(holder: ProcessIdentity, me: ProcessIdentity, alive: (pid: number) => boolean): boolean {
  if (holder.host !== me.host || holder.boot === '' || me.boot === '') return false;
  if (holder.boot !== me.boot) return true;
  // A holder with this process's own pid is dead: its pid was given to this process.
  return holder.pidNamespace !== '' && holder.pidNamespace === me.pidNamespace && (holder.pid === me.pid || !alive(holder.pid));
}

/** A fencing token: made fresh for each apply, so no two holders ever share one (run ids repeat across state directories). */
export function newLockToken(): string {
  return randomBytes(16).toString('hex');
}

/** `site lab, host ci-7, pid 4242, run 12, since 2026-01-01T10:00:00.000Z`: enough to find the process. */
export function describeHolder(holder: LockHolder): string {
  return `site ${holder.site}, host ${holder.host}, pid ${holder.pid}${holder.run === null ? '' : `, run ${holder.run}`}, since ${holder.since}`;
}
