import type { Clock } from '../clock.js';

/**
 * A token bucket per key: `perMinute` requests a minute on average, and bursts of up to `perMinute` at once
 * (a push of many branches sends one delivery per branch). Time comes from the injected clock, so a test
 * moves it instead of waiting.
 */
export class RateLimit {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #perMinute: number;
  readonly #clock: Clock;

  constructor(perMinute: number, clock: Clock) {
    this.#perMinute = Math.max(1, perMinute);
    this.#clock = clock;
  }

  /** Takes one token for `key`; false when its bucket is empty (the caller answers 429). */
  take(key: string): boolean {
    const now = this.#clock.now().getTime();
    const bucket = this.#buckets.get(key) ?? { tokens: this.#perMinute, at: now };
    const refilled = Math.min(this.#perMinute, bucket.tokens + (Math.max(0, now - bucket.at) * this.#perMinute) / 60_000);
    const allowed = refilled >= 1;
    this.#buckets.set(key, { tokens: allowed ? refilled - 1 : refilled, at: now });
    return allowed;
  }

  /** Seconds until `key` has a token again, for Retry-After. */
  retryAfterSeconds(key: string): number {
    const tokens = this.#buckets.get(key)?.tokens ?? this.#perMinute;
    return Math.max(1, Math.ceil(((1 - tokens) * 60) / this.#perMinute));
  }
}
