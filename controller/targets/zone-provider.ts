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

export interface ZoneTargetProvider {
  /**
   * The records of the zone (its DNSZone document's name, reached as `at` says) that this site owns, and the
   * others' at names it holds. Never throws: a zone that could not be read comes back `unreadable`.
   */
  observe(zone: string, at: DesiredZone): Promise<InventoryZone>;
  /**
   * Writes the record and its ownership record in one update. `before` is the value observed when planned
   * (null: none), a prerequisite: a record changed behind underlay's back since then fails the update.
   */
  upsert(zone: string, record: ZoneRecord, before: string | null): Promise<void>;
  /** Removes the record and its ownership record, if the record still holds `record.value`. */
  remove(zone: string, record: Omit<ZoneRecord, 'ttl'>): Promise<void>;
}
