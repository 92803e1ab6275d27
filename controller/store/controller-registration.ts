/**
 * Which `underlay controller` runs a site (issue 11: "while a controller runs the site, a CLI `apply`
 * refuses"). The site lock (ADR 0008) is held only during an apply, so between two reconciles nothing told
 * a person at a terminal that a controller owns the site and will apply over their change. The controller
 * registers here for each site it runs, refreshes a heartbeat, and removes the row on a clean exit; a CLI
 * `apply` that finds a registration whose holder may be alive refuses. A holder judged dead by the same
 * rule as a lock holder (lock-holder.ts), or whose pid now belongs to a process started later, is taken over.
 */
import type Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { holderIsDead, type ProcessIdentity } from './lock-holder.js';

/** The migration that adds the table (appended to sqlite-store.ts's list). */
export const CONTROLLER_REGISTRATIONS_MIGRATION = `
  CREATE TABLE controller_registrations (
    site TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    holder TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    heartbeat_ms INTEGER NOT NULL
  );
`;

export const ControllerHolder = z.strictObject({
  host: z.string(),
  boot: z.string(),
  pidNamespace: z.string(),
  pid: z.number().int(),
  /** The pid's start time in clock ticks since boot (/proc/PID/stat field 22); '' when unknown. A reused pid starts later. */
  startTicks: z.string(),
  /** When the controller registered, by its clock (ISO). */
  since: z.string(),
});
export type ControllerHolder = z.infer<typeof ControllerHolder>;

export interface ControllerRegistration {
  site: string;
  token: string;
  holder: ControllerHolder;
  heartbeatAt: string;
  /** How often the controller promised to refresh the heartbeat. */
  heartbeatMs: number;
}

/** How many heartbeat intervals may pass before a registration is called stale (a hung or unreachable controller). */
export const STALE_AFTER_HEARTBEATS = 3;

export type ControllerClaim =
  /** No controller runs the site; `replaced`: one that provably died, whose registration was removed. */
  | { free: true; replaced?: ControllerRegistration }
  /** `stale`: its heartbeat is older than STALE_AFTER_HEARTBEATS intervals. */
  | { free: false; registration: ControllerRegistration; stale: boolean };

/** The start time of `pid` as /proc/PID/stat gives it; '' when it cannot be read (no such process, not Linux). */
export function processStartTicks(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

export interface LivenessProbe {
  me: ProcessIdentity;
  alive: (pid: number) => boolean;
  startTicks: (pid: number) => string;
}

/** Dead as a lock holder would be, or its pid alive but started at another time than the controller's (pid reused). */
export function controllerIsDead(holder: ControllerHolder, probe: LivenessProbe): boolean {
  if (holderIsDead(holder, probe.me, probe.alive)) return true;
  const sameProcessSpace = holder.host === probe.me.host && holder.boot !== '' && holder.boot === probe.me.boot && holder.pidNamespace !== '' && holder.pidNamespace === probe.me.pidNamespace;
  if (!sameProcessSpace || holder.startTicks === '') return false;
  const now = probe.startTicks(holder.pid);
  return now !== '' && now !== holder.startTicks;
}

/** `controller pid 4242 on host ci-7, since 2026-01-01T10:00:00.000Z, last heartbeat 2026-01-01T10:05:00.000Z`. */
export function describeController(r: ControllerRegistration): string {
  return `controller pid ${r.holder.pid} on host ${r.holder.host}, since ${r.holder.since}, last heartbeat ${r.heartbeatAt}`;
}

interface Row {
  site: string;
  token: string;
  holder: string;
  heartbeat_at: string;
  heartbeat_ms: number;
}

const registration = (row: Row): ControllerRegistration => ({
  site: row.site,
  token: row.token,
  holder: ControllerHolder.parse(JSON.parse(row.holder)),
  heartbeatAt: row.heartbeat_at,
  heartbeatMs: row.heartbeat_ms,
});

export class SqliteControllerRegistrations {
  constructor(
    private readonly db: Database.Database,
    private readonly site: string,
    private readonly clock: Clock,
    private readonly probe: LivenessProbe,
  ) {}

  /** This controller runs the site from now on (a registration left by another is replaced: the controller is told by the caller). */
  register(token: string, holder: ControllerHolder, heartbeatMs: number): ControllerRegistration | null {
    return this.db
      .transaction((): ControllerRegistration | null => {
        const before = this.registration();
        this.db
          .prepare(
            `INSERT INTO controller_registrations (site, token, holder, heartbeat_at, heartbeat_ms) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (site) DO UPDATE SET token = excluded.token, holder = excluded.holder, heartbeat_at = excluded.heartbeat_at, heartbeat_ms = excluded.heartbeat_ms`,
          )
          .run(this.site, token, JSON.stringify(holder), this.clock.now().toISOString(), heartbeatMs);
        return before && before.token !== token ? before : null;
      })
      .immediate();
  }

  /** Refreshes the heartbeat; false when the registration is no longer this token's (force-unlocked, or taken over). */
  heartbeat(token: string): boolean {
    return this.db.prepare(`UPDATE controller_registrations SET heartbeat_at = ? WHERE site = ? AND token = ?`).run(this.clock.now().toISOString(), this.site, token).changes === 1;
  }

  /** On a clean exit: only this token's registration. */
  unregister(token: string): void {
    this.db.prepare(`DELETE FROM controller_registrations WHERE site = ? AND token = ?`).run(this.site, token);
  }

  registration(): ControllerRegistration | null {
    const row = this.db.prepare(`SELECT site, token, holder, heartbeat_at, heartbeat_ms FROM controller_registrations WHERE site = ?`).get(this.site) as Row | undefined;
    return row ? registration(row) : null;
  }

  /**
   * What a CLI apply asks: does a controller that may be alive run the site? One that provably died is
   * removed in the same transaction, so of two CLIs that look at once only one reports the takeover.
   */
  claim(): ControllerClaim {
    return this.db
      .transaction((): ControllerClaim => {
        const current = this.registration();
        if (!current) return { free: true };
        if (controllerIsDead(current.holder, this.probe)) {
          this.db.prepare(`DELETE FROM controller_registrations WHERE site = ? AND token = ?`).run(this.site, current.token);
          return { free: true, replaced: current };
        }
        const age = this.clock.now().getTime() - Date.parse(current.heartbeatAt);
        return { free: false, registration: current, stale: age > STALE_AFTER_HEARTBEATS * current.heartbeatMs };
      })
      .immediate();
  }

  /** `underlay force-unlock --controller`: removes the registration whoever holds it. */
  breakRegistration(): ControllerRegistration | null {
    const row = this.db.prepare(`DELETE FROM controller_registrations WHERE site = ? RETURNING site, token, holder, heartbeat_at, heartbeat_ms`).get(this.site) as Row | undefined;
    return row ? registration(row) : null;
  }
}
