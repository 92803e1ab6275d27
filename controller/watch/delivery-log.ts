/**
 * The delivery ids a receiver has accepted, to drop replays: a Git host gives every delivery a unique id,
 * and a request carrying one already seen is a copy (an attacker replaying a captured request, or a proxy
 * retrying). Bounded: past `capacity` ids the oldest are forgotten, so memory (or the store's table) stays
 * fixed however many deliveries arrive. A replay older than that window gets through, and costs one re-read
 * of the ref, which can never roll a site back (the commit always comes from the ref, not the payload).
 *
 * Synchronous on purpose: the check and the record are one step, so two copies of a delivery arriving at
 * once cannot both be taken for the first.
 */
export interface DeliveryLog {
  /** True the first time `id` is offered; it is remembered from then on (until pushed out). */
  firstTime(id: string): boolean;
  /** For a delivery that was not acted on after all, so its retry is not taken for a replay. */
  forget(id: string): void;
}

/** Ids remembered per receiver (site) unless configured otherwise. */
export const DEFAULT_DELIVERIES_REMEMBERED = 10_000;

/** The log in memory: forgotten at a restart (the controller keeps its own in the store, sqlite-webhook-deliveries.ts). */
export class MemoryDeliveryLog implements DeliveryLog {
  readonly #seen = new Set<string>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  firstTime(id: string): boolean {
    if (this.#seen.has(id)) return false;
    this.#seen.add(id);
    // A Set iterates in insertion order: the first entry is the oldest.
    if (this.#seen.size > this.#capacity) this.#seen.delete(this.#seen.values().next().value as string);
    return true;
  }

  forget(id: string): void {
    this.#seen.delete(id);
  }

  get size(): number {
    return this.#seen.size;
  }
}
