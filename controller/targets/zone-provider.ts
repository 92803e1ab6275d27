/**
 * A DNS zone as a target: what observe reads of it and what apply writes to it. Implemented over RFC 2136
 * with TSIG (rfc2136-zone-provider.ts); the key reaches it through the secret store
 * (controller/secrets/secret-store.ts), by the name the DNSZone document gives, never through the plan.
 *
 * Ownership lives in the zone itself (zone-ownership.ts): `observe` returns only the records whose ownership
 * record names this site, so losing the state directory loses no ownership, and controllers of other sites
 * (or people) sharing the zone are never overwritten.
 */
import type { DesiredZone } from '../model/desired.js';
import type { InventoryZone } from '../model/observed.js';

export interface ZoneRecord {
  /** Fully qualified owner name, with trailing dot. */
  name: string;
  type: string;
  /** Presentation form, as the inventory holds it. */
  value: string;
  ttl: number;
}

/** One record to write or remove: a change of the plan (its id names it in the answer). */
export interface ZoneWrite {
  id: string;
  record: ZoneRecord;
  /** The value observed when planned; null: there was none. */
  before: string | null;
  /** Remove the record (and its ownership record) instead of writing it. */
  remove: boolean;
}

export interface ZoneTargetProvider {
  /**
   * The records of the zone (its DNSZone document's name, reached as `at` says) that this site owns, and the
   * others' at names it holds. Never throws: a zone that could not be read comes back `unreadable`.
   */
  observe(zone: string, at: DesiredZone): Promise<InventoryZone>;
  /**
   * Writes (or removes) every record with its ownership record, in as few UPDATE messages as the bounds
   * allow. Each change's `before` is the value observed when planned (null: none), a prerequisite: a record
   * changed behind underlay's back since then fails that change alone. Answers each failed change's error by
   * id; throws when the zone refused the update as a whole (REFUSED, a TSIG error, the server gone).
   */
  write(zone: string, changes: readonly ZoneWrite[]): Promise<ReadonlyMap<string, Error>>;
}
