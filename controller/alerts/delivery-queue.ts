/**
 * One route's deliveries, in order, by one worker: the caller pushes and returns at once. A delivery that
 * fails (no answer, a non-2xx status) is retried after a growing, jittered delay (runtime/backoff.ts) up to
 * `maxAttempts`, then given up with a report; the next one waits behind it, so a resolved notification never
 * overtakes its firing one.
 */
import type { Timers } from '../clock.js';
import { backoff, type BackoffPolicy } from '../runtime/backoff.js';

export interface DeliveryQueueOptions<T> {
  send(item: T): Promise<void>;
  timers: Timers;
  random: () => number;
  policy: BackoffPolicy;
  maxAttempts: number;
  onGiveUp(item: T, error: unknown, attempts: number): void;
}

export class DeliveryQueue<T> {
  readonly #pending: T[] = [];
  #worker: Promise<void> | undefined;
  #closed = false;
  #wake: (() => void) | undefined;
  readonly #closing: Promise<void>;

  constructor(private readonly options: DeliveryQueueOptions<T>) {
    this.#closing = new Promise((resolve) => (this.#wake = resolve));
  }

  push(item: T): void {
    if (this.#closed) return;
    this.#pending.push(item);
    this.#worker ??= this.#drain().finally(() => (this.#worker = undefined));
  }

  /** Resolves when nothing is queued or in flight (a retry waiting counts as queued). */
  async idle(): Promise<void> {
    while (this.#worker) await this.#worker;
  }

  /** Drops what is queued and stops waiting for retries; the send in flight finishes. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#pending.length = 0;
    this.#wake?.();
    await this.#worker;
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0 && !this.#closed) {
      await this.#deliver(this.#pending[0] as T);
      this.#pending.shift();
    }
  }

  async #deliver(item: T): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.send(item);
        return;
      } catch (error) {
        if (attempt + 1 >= this.options.maxAttempts) return this.options.onGiveUp(item, error, attempt + 1);
        await Promise.race([this.options.timers.sleep(backoff(attempt, this.options.random, this.options.policy)), this.#closing]);
        if (this.#closed) return;
      }
    }
  }
}
